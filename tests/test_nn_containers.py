"""ModuleDict, ParameterList and ParameterDict against the behaviour torch documents:
dict/list interfaces, registration under their keys ("0", "1", ... for lists), and the
state_dict keys and errors that follow."""

from collections import OrderedDict

import numpy as np
import pytest

from tinygrad_opt import Tensor, nn, optim


def param(*shape, fill=1.0):
    return nn.Parameter(np.full(shape, fill))


# ----------------------------------------------------------------------------- ModuleDict
def test_module_dict_is_an_ordered_dict_of_registered_children():
    heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 2)})
    assert list(heads) == ["cls", "box"]  # iteration gives keys, in insertion order
    assert len(heads) == 2 and "cls" in heads and "nope" not in heads
    assert isinstance(heads["box"], nn.Linear) and heads.box is heads["box"]
    assert list(heads.keys()) == ["cls", "box"]
    assert [k for k, _ in heads.items()] == ["cls", "box"]
    assert list(heads.values()) == [heads["cls"], heads["box"]]
    assert list(heads.state_dict()) == ["cls.weight", "cls.bias", "box.weight", "box.bias"]
    assert len(list(heads.parameters())) == 4


def test_module_dict_setitem_del_pop_clear_update():
    heads = nn.ModuleDict()
    heads["a"] = nn.Linear(2, 2)
    heads["b"] = nn.ReLU()
    replacement = nn.Linear(2, 5)
    heads["a"] = replacement  # overwriting keeps the key's place, as a dict
    assert list(heads) == ["a", "b"] and heads["a"] is replacement
    del heads["b"]
    assert list(heads) == ["a"]
    assert heads.pop("a") is replacement and len(heads) == 0
    with pytest.raises(KeyError):
        heads["a"]  # noqa: B018
    heads.update([("x", nn.Tanh()), ("y", nn.Sigmoid())])  # pairs keep their order
    heads.update(OrderedDict(z=nn.ReLU()))
    heads.update(nn.ModuleDict({"w": nn.ReLU()}))
    assert list(heads) == ["x", "y", "z", "w"]
    heads.clear()
    assert len(heads) == 0 and list(heads.state_dict()) == []


def test_module_dict_inside_a_model_gives_dotted_keys_and_loads():
    model = nn.Module()
    model.heads = nn.ModuleDict({"cls": nn.Linear(3, 2)})
    model.heads["extra"] = nn.Sequential(nn.Linear(2, 2))
    assert list(model.state_dict()) == [
        "heads.cls.weight", "heads.cls.bias", "heads.extra.0.weight", "heads.extra.0.bias",
    ]
    state = {k: np.full_like(v, 0.5) for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.heads["extra"][0].weight.data, 0.5)


def test_module_dict_errors_follow_torch():
    heads = nn.ModuleDict()
    with pytest.raises(TypeError, match="not a Module"):
        heads["a"] = 3
    with pytest.raises(KeyError, match=r'contain "\."'):
        heads["a.b"] = nn.ReLU()
    with pytest.raises(KeyError, match="already exists"):
        heads["training"] = nn.ReLU()
    with pytest.raises(TypeError, match="iterable of key/value pairs, but got int"):
        heads.update(3)
    with pytest.raises(TypeError, match="element #0 should be Iterable"):
        heads.update([3])
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        heads.update([("a", nn.ReLU(), 1)])
    with pytest.raises(NotImplementedError):
        heads(Tensor(np.ones(2)))  # a container has no forward, as torch's


# ----------------------------------------------------------------------------- ParameterList
def test_parameter_list_registers_under_indices():
    plist = nn.ParameterList([param(2), param(3)])
    plist.append(param(1))
    plist.extend([param(4)])
    plist += [param(5)]
    assert len(plist) == 5
    assert [p.shape for p in plist] == [(2,), (3,), (1,), (4,), (5,)]
    assert [name for name, _ in plist.named_parameters()] == ["0", "1", "2", "3", "4"]
    assert plist[-1] is plist[4] and plist[0] is list(plist.parameters())[0]
    sliced = plist[1:3]
    assert isinstance(sliced, nn.ParameterList) and [p.shape for p in sliced] == [(3,), (1,)]
    model = nn.Module()
    model.weights = plist
    assert list(model.state_dict()) == [f"weights.{i}" for i in range(5)]


def test_parameter_list_turns_tensors_into_parameters_and_trains():
    t = Tensor(np.ones(3))
    plist = nn.ParameterList([t])
    assert isinstance(plist[0], nn.Parameter) and plist[0].requires_grad
    assert np.shares_memory(plist[0].data, t.data)  # as torch, the Parameter wraps the data
    replacement = param(3, fill=2.0)
    plist[0] = replacement
    assert plist[0] is replacement and len(plist) == 1
    opt = optim.SGD(plist.parameters(), lr=0.5)
    (plist[0] * plist[0]).sum().backward()
    opt.step()
    np.testing.assert_allclose(plist[0].data, 2.0 - 0.5 * 4.0)


def test_parameter_list_errors():
    plist = nn.ParameterList([param(2)])
    with pytest.raises(IndexError, match="out of range"):
        plist[1]  # noqa: B018
    with pytest.raises(IndexError):
        plist[3] = param(2)
    with pytest.raises(TypeError, match="indices must be integers"):
        plist["0"]  # noqa: B018
    with pytest.raises(TypeError, match="should be called with an iterable, but got int"):
        plist.extend(3)
    with pytest.raises(TypeError, match="floating point"):
        plist.append(Tensor(np.arange(3)))  # integer data cannot be a Parameter


def test_parameter_list_repr_lists_each_parameter():
    text = repr(nn.ParameterList([param(2, 3)]))
    assert text == "ParameterList(\n  (0): Parameter containing: [float64 of size 2x3]\n)"


# ----------------------------------------------------------------------------- ParameterDict
def test_parameter_dict_dict_interface_and_registration():
    pdict = nn.ParameterDict({"b": param(2), "a": param(3)})
    # from a plain dict torch adds the items in sorted key order
    assert list(pdict) == ["a", "b"] and list(pdict.keys()) == ["a", "b"]
    pdict.update(OrderedDict([("z", param(1)), ("y", param(1))]))  # order kept
    pdict.update([("x", param(1))])
    assert list(pdict) == ["a", "b", "z", "y", "x"]
    assert [name for name, _ in pdict.named_parameters()] == ["a", "b", "z", "y", "x"]
    assert len(pdict) == 5 and "z" in pdict and "q" not in pdict
    assert pdict["a"] is pdict.a and [v.shape for v in pdict.values()][:2] == [(3,), (2,)]
    assert [k for k, _ in pdict.items()] == list(pdict)
    assert pdict.get("q") is None and pdict.get("a") is pdict["a"]
    z = pdict.pop("z")
    assert z.shape == (1,) and "z" not in pdict and "z" not in dict(pdict.named_parameters())
    del pdict["y"]
    assert list(pdict) == ["a", "b", "x"]
    d = pdict.setdefault("d", Tensor(np.zeros(2)))  # a Tensor becomes a Parameter
    assert isinstance(d, nn.Parameter) and pdict.setdefault("d") is d
    model = nn.Module()
    model.p = pdict
    assert list(model.state_dict()) == ["p.a", "p.b", "p.x", "p.d"]
    pdict.clear()
    assert len(pdict) == 0 and list(model.state_dict()) == []


def test_parameter_dict_errors():
    pdict = nn.ParameterDict()
    with pytest.raises(TypeError, match="not a string"):
        pdict[0] = param(1)
    with pytest.raises(KeyError, match=r'contain "\."'):
        pdict["a.b"] = param(1)
    with pytest.raises(KeyError):
        pdict["missing"]  # noqa: B018
    with pytest.raises(TypeError, match="iterable of key/value pairs"):
        pdict.update(5)


# ------------------------------------------------------------ Sequential and ModuleList edits
@pytest.mark.parametrize("container", [nn.Sequential, nn.ModuleList])
def test_list_edits_follow_python_lists_and_renumber_keys_as_pytorch(container):
    """Every edit is mirrored on a plain list; after each, the children are that list in
    order under the keys "0", "1", ... (PyTorch renumbers on delete and insert)."""
    layers = [nn.Linear(2, 2) for _ in range(7)]
    box = container(*layers[:4]) if container is nn.Sequential else container(layers[:4])
    mirror = layers[:4]

    def check():
        assert list(box) == mirror and len(box) == len(mirror)
        assert list(box._modules) == [str(i) for i in range(len(mirror))]
        assert list(box.state_dict()) == [f"{i}.{n}" for i in range(len(mirror))
                                          for n in ("weight", "bias")]

    box[1] = layers[4]
    mirror[1] = layers[4]
    check()
    del box[0]
    del mirror[0]
    check()
    box.insert(1, layers[5])
    mirror.insert(1, layers[5])
    box.insert(-1, layers[6])  # before the last, as list.insert
    mirror.insert(-1, layers[6])
    check()
    assert box.pop(2) is mirror.pop(2) and box.pop() is mirror.pop()
    check()
    box.extend([layers[0], layers[1]])
    mirror.extend([layers[0], layers[1]])
    del box[1:3]
    del mirror[1:3]
    check()
    with pytest.raises(IndexError):
        box.insert(len(mirror) + 1, nn.ReLU())
    with pytest.raises(IndexError):
        del box[len(mirror)]
    with pytest.raises(TypeError, match="not a Module"):
        box.insert(0, "relu")
    with pytest.raises(TypeError, match="integer index, not a slice"):
        box[0:1] = nn.ReLU()
    check()  # refused edits changed nothing


def test_sequential_setitem_keeps_a_named_key_and_runs_the_new_layer():
    model = nn.Sequential(OrderedDict([("encoder", nn.Linear(3, 4)), ("head", nn.Linear(4, 2))]))
    model[-1] = nn.Linear(4, 5)  # the usual way to swap a classifier head
    assert list(model._modules) == ["encoder", "head"] and model.head.out_features == 5
    assert model(Tensor(np.ones((2, 3), np.float32))).shape == (2, 5)
