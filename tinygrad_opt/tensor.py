"""The reverse-mode autograd Tensor: a numpy array plus the node that produced it.

An op computes its output with numpy and records `(parents, backward)` on the output, where
`backward(g)` maps the output's gradient to one gradient per parent (None where the parent
needs none). The engine in `Tensor.backward` walks the graph in topological order without
recursion, sums broadcast gradients back to each parent's shape in ONE place
(`unbroadcast`), accumulates into leaves' `.grad`, and frees the graph afterwards. Hooks
from `register_hook` (ops/utility.py) see each node's summed gradient and may replace it.

Writing a new op (also outside this file, e.g. a fused conv kernel):

    def my_op(x: Tensor) -> Tensor:
        out = f(x.data)
        def backward(g):            # g has out's shape; never modify g in place
            return (df(x.data, g),)   # one entry per parent, None to skip
        return Tensor.make(out, (x,), backward)

Contracts an op can rely on: `g` has the output's shape and dtype but may be a read-only
broadcast view; a returned gradient may have the parent's shape or any shape that the
parent's shape broadcasts to (the engine sums it back) and any float dtype (the engine casts
it to the parent's). An op that selects each element of a parent at most once (a slice,
split, a boolean mask) may return `SlicedGrad(where, g)` instead: the engine adds `g` into
`parent_grad[where]` of one buffer per parent, so L slices of one array cost O(size) in
backward, not L zero arrays of the whole (an RNN's time loop, `x[:, t]`).
The ops themselves live in `tinygrad_opt/ops/`, one file per family,
bound as methods and operators in `ops/__init__.py`. Custom Functions, `autograd.grad` and
`autograd.backward` (tinygrad_opt/autograd.py) run on this engine (`capture_gradients`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from .anomaly_mode import ANOMALY_MODE, check_backward_results
from .default_dtype import _DEFAULT as _DEFAULT_FLOAT
from .grad_mode import GRAD_MODE
from .print_options import array2string_options
from .size import Size

BackwardFn = Callable[[np.ndarray], Sequence["np.ndarray | None"]]


class SlicedGrad:
    """A parent's gradient that is `value` at `parent[where]` and zero elsewhere; `where` is a
    basic index or boolean mask (each element selected at most once, so `+=` is exact)."""

    __slots__ = ("where", "value")
    # never equal to an array's shape: the engine's shape test routes a SlicedGrad to its own
    # branch, so the usual full-shape gradient pays no extra type test
    shape = None

    def __init__(self, where, value: np.ndarray) -> None:
        self.where = where
        self.value = value


def _freed_backward(_g: np.ndarray):
    raise RuntimeError(
        "Trying to backward through the graph a second time: its saved arrays were freed "
        "by the first backward(). Pass retain_graph=True to the first call to keep them."
    )


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, giving `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


_new_tensor = object.__new__
# Counts in-place changes to tensors. A recorded op keeps the count it was made at
# (`_made_at`); a tensor changed in place keeps the count of its change (`_changed_at`).
# Backward through an op whose parent changed after it (`_changed_at > _made_at`) refuses;
# while the count has not moved since the op was made, nothing is checked at all.
_inplace_clock = [0]


def mark_changed(tensor: Tensor) -> None:
    """Record that `tensor`'s array was just changed in place (see `_inplace_clock`)."""
    _inplace_clock[0] += 1
    tensor._changed_at = _inplace_clock[0]


# While `utils.checkpoint` runs a function without recording a graph, a callable that is
# given the parents and the output of every op made in no-grad mode (to find the tensors
# requiring grad that the function reads, and the outputs that depend on them); None
# otherwise, so ops pay one test, and only when not recording.
_graph_probe: list = [None]


class _BackwardClaims(threading.local):
    """Per thread: ids of the leaves whose flat gradient buffer an op of the running
    backward pass has claimed (see `gradient_buffer`); None outside backward. Per thread so
    that two backward passes running at once never share (or reset) each other's claims."""

    claimed: set[int] | None = None


_claims = _BackwardClaims()


def gradient_buffer(leaf: Tensor) -> np.ndarray | None:
    """The optimizer's buffer view that `leaf`'s gradient will be copied into, for an op's
    backward to write its gradient to directly (e.g. `np.matmul(..., out=...)`), or None.

    Saves one copy of the gradient per step. Only the first op of a backward pass to ask for
    a leaf gets its buffer (a weight used twice must not have its first contribution
    overwritten by the second), and only while `.grad` is None (otherwise the buffer holds
    the gradient being accumulated into). Not for a leaf with hooks: a hook must receive
    a gradient of its own, not the buffer that later steps overwrite."""
    claimed = _claims.claimed
    storage = leaf._grad_storage
    if claimed is None or storage is None or leaf.grad is not None or id(leaf) in claimed:
        return None
    if leaf._hooks:
        return None
    claimed.add(id(leaf))
    return storage


class ElementCount(int):
    """`Tensor.size`: an int (the element count) that PyTorch code can also call, so both
    `x.size == 6` (numpy) and `x.view(x.size(0), -1)` (PyTorch) work."""

    def __new__(cls, count: int, shape: tuple[int, ...]) -> ElementCount:
        value = super().__new__(cls, count)
        value.shape = shape
        return value

    def __call__(self, dim: int | None = None):
        if dim is None:
            return Size(self.shape)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"size(dim): dim must be an int, got {dim!r}")
        if not -len(self.shape) <= dim < len(self.shape):
            raise IndexError(
                f"size(dim): dimension {dim} is out of range for {len(self.shape)} dimensions"
            )
        return self.shape[dim]

    def __reduce__(self):
        return (int, (int(self),))  # copy and pickle as a plain int (__new__ needs the shape)


class Tensor:
    """An n-dimensional array that can record the ops applied to it and backpropagate.

    `Tensor(data, requires_grad=False, dtype=None)`: Python floats and lists of them take the
    default float dtype (float32 unless `set_default_dtype` changed it); a float64 numpy
    array or scalar stays float64 and other floating numpy data becomes float32 (or dtype
    says otherwise); integer and boolean data keep their dtype and cannot require grad.
    """

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_parents",
        "_backward",
        "_retains_grad",
        "_grad_storage",
        "_hooks",
        "_post_accumulate_hooks",
        "_changed_at",
        "_made_at",
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy defers `ndarray op Tensor` to our reflected operators

    def __init__(self, data, requires_grad: bool = False, dtype=None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if dtype is not None:
            array = np.asarray(data, dtype=dtype)
        elif isinstance(data, np.ndarray) or isinstance(data, np.generic):
            array = np.asarray(data)
            if array.dtype.kind == "f" and array.dtype != np.float64:
                array = array.astype(np.float32)
        else:
            array = np.asarray(data)
            if array.dtype.kind == "f":  # Python floats and lists of them: the default dtype
                array = array.astype(_DEFAULT_FLOAT[0], copy=False)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"Tensor: unsupported dtype {array.dtype}; expected float, int or bool")
        self.data = array
        self.grad = None
        self.requires_grad = False
        self._parents: tuple[Tensor, ...] = ()
        self._backward: BackwardFn | None = None
        self._retains_grad = False
        self._grad_storage: np.ndarray | None = None
        self._hooks: dict | None = None
        self._post_accumulate_hooks: dict | None = None
        self._changed_at = 0  # the in-place clock's value at its last in-place change
        self._made_at = 0
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- graph construction
    @staticmethod
    def make(data: np.ndarray, parents: tuple[Tensor, ...], backward: BackwardFn) -> Tensor:
        """Wrap an op's output; records the node only if grad mode is on and a parent needs it.

        `data` may be a numpy scalar (what numpy returns for 0-d results); it becomes a 0-d array.
        """
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = _new_tensor(Tensor)
        out.data = data
        out.grad = None
        out._retains_grad = False
        out._grad_storage = None
        out._hooks = None
        out._post_accumulate_hooks = None
        out._changed_at = 0
        # the op's backward reads its parents' arrays as they are now (see mark_changed)
        out._made_at = _inplace_clock[0]
        if GRAD_MODE.enabled:
            for parent in parents:  # a plain loop: cheaper than any() on a generator
                if parent.requires_grad:
                    out.requires_grad = True
                    out._parents = parents
                    out._backward = backward
                    return out
        elif _graph_probe[0] is not None:
            _graph_probe[0](parents, out)
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        return out

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad; this one is {self.data.dtype} "
                "(integer tensors hold indices and labels)"
            )
        if not self.is_leaf and not requires_grad:
            raise RuntimeError(
                "requires_grad_(False) is only allowed on leaf tensors; use detach()"
            )
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._backward is None

    @property
    def grad_fn(self) -> BackwardFn | None:
        """The backward function of the op that made this tensor, None for a leaf, as torch's
        `grad_fn` is None exactly then (it is a plain function here, not torch's Node)."""
        return self._backward

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph."""
        out = Tensor.__new__(Tensor)
        out.data = self.data
        out.grad = None
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        out._retains_grad = False
        out._grad_storage = None
        out._hooks = None
        out._post_accumulate_hooks = None
        out._changed_at = 0
        out._made_at = 0
        return out

    # ----------------------------------------------------------------------- backward
    def backward(
        self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False,
        inputs=None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (and retained non-leaves').

        `retain_graph=None` means the value of `create_graph`, as torch. With
        `create_graph=True` the gradients are computed with differentiable Tensor ops and
        `.grad` becomes a Tensor with a graph (see tinygrad_opt/higher_order.py). With
        `inputs` (a Tensor or a sequence of them) only those tensors' `.grad` receive
        gradient, as `tinygrad_opt.autograd.backward`."""
        if inputs is not None or create_graph:
            from .autograd import backward  # imported here: autograd imports this module

            if gradient is not None and not isinstance(gradient, Tensor):
                gradient = np.asarray(gradient)  # as below: anything numpy takes
            seeds = None if gradient is None else [gradient]
            backward(self, seeds, retain_graph, create_graph, inputs=inputs)
            return
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no graph; set "
                "requires_grad=True on the leaves it is computed from"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward(): grad can be implicitly created only for a scalar output, "
                    f"but this tensor has shape {self.data.shape}; pass gradient= of that shape"
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward(): gradient has shape {seed.shape} but the tensor has shape "
                    f"{self.data.shape}; they must match"
                )
            seed = seed.astype(self.data.dtype, copy=False)

        outer_claims = _claims.claimed
        _claims.claimed = set()
        try:
            self._run_backward(seed, retain_graph)
        finally:
            _claims.claimed = outer_claims

    def _run_backward(
        self, seed: np.ndarray, retain_graph: bool | None, capture: dict | None = None
    ) -> None:
        """The backward loop. With `capture` (ids of tensors -> None), nothing accumulates
        into `.grad`: each captured tensor's summed gradient (after its hooks) is stored in
        `capture` instead, and only the ops between `self` and the captured tensors run."""
        grads: dict[int, np.ndarray] = {id(self): seed}
        # Keys whose summed gradient is an array this loop allocated (safe to add into in
        # place); any other array may be shared with an op's output or another gradient.
        owned: set[int] = set()
        order = _topological_order(self)
        if capture is not None:
            order, through = _between(order, capture)
        anomaly = ANOMALY_MODE.enabled  # read once: the mode costs nothing when off
        for node in order:
            grad = grads.pop(id(node), None)
            if grad is None:
                continue
            if node._hooks is not None:  # after summing every contribution, as torch
                grad = node._run_hooks(grad)
            if capture is not None:  # one test per node keeps the usual backward's cost
                if id(node) in capture:
                    capture[id(node)] = grad
                if id(node) not in through:
                    continue
            backward = node._backward
            if backward is None:
                node._accumulate_grad(grad)
                continue
            if node._retains_grad and capture is None:
                node._accumulate_grad(grad)
            parents = node._parents
            if node._made_at != _inplace_clock[0]:  # something changed in place since
                node._check_parents_unchanged()
            if not retain_graph:
                node._parents = ()
                node._backward = _freed_backward
            results = backward(grad)
            if anomaly:
                check_backward_results(node, backward, results)
            for parent, parent_grad in zip(parents, results):
                if parent_grad is None or not parent.requires_grad:
                    continue
                data = parent.data
                if parent_grad.shape != data.shape:
                    if type(parent_grad) is SlicedGrad:
                        _add_sliced(grads, owned, id(parent), data, parent_grad)
                        continue
                    parent_grad = _checked_unbroadcast(parent_grad, data.shape)
                if parent_grad.dtype is not data.dtype and parent_grad.dtype != data.dtype:
                    parent_grad = parent_grad.astype(data.dtype)  # e.g. float32 input, float64 op
                key = id(parent)
                previous = grads.get(key)
                if previous is None:
                    grads[key] = parent_grad
                elif key in owned:
                    previous += parent_grad
                else:
                    total = previous + parent_grad
                    if type(total) is not np.ndarray:  # numpy returns scalars for 0-d sums
                        total = np.asarray(total)
                    grads[key] = total
                    owned.add(key)

    def _check_parents_unchanged(self) -> None:
        """Refuse to backpropagate through an op whose inputs were changed in place after it
        ran (`+=`, `zero_()`, `fill_()`, `copy_()`, item assignment): its backward would read
        the new values and give a silently wrong gradient; PyTorch refuses too. Changes
        made through another tensor sharing the array (a view, `.data`, an optimizer) are
        not seen."""
        for parent in self._parents:
            if parent._changed_at > self._made_at:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: a tensor of shape {parent.shape} was changed "
                    "in place after an op used it; change it before the forward pass or "
                    "after backward"
                )

    def _run_hooks(self, grad: np.ndarray) -> np.ndarray:
        """Call the `register_hook` functions in order; each may return a replacement."""
        for hook in tuple(self._hooks.values()):
            result = hook(Tensor(grad, dtype=grad.dtype))
            if result is None:
                continue
            new = np.asarray(result.data if isinstance(result, Tensor) else result)
            if new.shape != grad.shape:
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                    f"{new.shape}; it must keep the shape {grad.shape}"
                )
            grad = new.astype(self.data.dtype, copy=False)
        return grad

    def _accumulate_grad(self, grad: np.ndarray) -> None:
        if self.grad is None:
            storage = self._grad_storage
            if storage is not None:  # a view into an optimizer's flat gradient buffer
                if grad is not storage:  # else an op wrote it there (`gradient_buffer`)
                    np.copyto(storage, grad)
                self.grad = storage
            else:
                self.grad = np.array(grad, dtype=self.data.dtype, copy=True)
        else:
            self.grad += grad
        if self._post_accumulate_hooks is not None:  # register_post_accumulate_grad_hook
            for hook in tuple(self._post_accumulate_hooks.values()):
                hook(self)

    # ----------------------------------------------------------------- array protocol
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> ElementCount:
        """The number of elements (an int, as numpy's `.size`); also callable as PyTorch's
        method: `x.size()` is the shape as a `Size` and `x.size(d)` dimension d's length."""
        return ElementCount(self.data.size, self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item(): only one-element tensors convert to a scalar, got shape {self.shape}"
            )
        return self.data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A 0-d integer tensor is an index, as in PyTorch: `classes[y]`, `range(n)`."""
        if self.data.ndim != 0 or self.data.dtype.kind not in "iu":
            raise TypeError(
                f"only 0-d integer tensors can be used as an index; this one is "
                f"{self.data.dtype} of shape {self.data.shape}"
            )
        return int(self.data)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """`np.asarray(tensor)` gives the data (no graph)."""
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __setitem__(self, index, value) -> None:
        """In-place assignment into the data of a tensor outside the graph (e.g. data prep);
        refused for tensors that require grad, whose saved values backward relies on."""
        if self.requires_grad:
            raise RuntimeError(
                "setitem: in-place assignment into a tensor that requires grad is not supported; "
                "build a new tensor with where(), cat() or pad() instead"
            )
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        self.data[index] = value.data if isinstance(value, Tensor) else value
        mark_changed(self)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        # set_printoptions decides precision, summarisation and line width; the prefix counts
        # in the width and indents the wrapped lines, as torch's "tensor(" does
        values = np.array2string(self.data, prefix="Tensor(", **array2string_options())
        return f"Tensor({values}, dtype={self.data.dtype}{grad})"

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError("the truth value of a tensor with more than one element is ambiguous")
        return bool(self.data)


def _topological_order(root: Tensor) -> list[Tensor]:
    """Nodes that need grad, each after every node that consumes it (iterative DFS)."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def capture_gradients(
    root: Tensor, inputs: Sequence[Tensor], retain_graph: bool | None
) -> list[np.ndarray | None]:
    """The gradient of `root` (seeded with ones) that reaches each of `inputs`, None where
    none does, touching no `.grad`; the engine behind `tinygrad_opt.autograd.grad`."""
    capture: dict[int, np.ndarray | None] = {id(t): None for t in inputs}
    outer_claims = _claims.claimed
    _claims.claimed = None  # so no op writes into an optimizer's gradient buffer
    try:
        root._run_backward(np.ones_like(root.data), retain_graph, capture)
    finally:
        _claims.claimed = outer_claims
    return [capture[id(t)] for t in inputs]


def _between(order: list[Tensor], capture: dict) -> tuple[list[Tensor], set[int]]:
    """`order` cut to the nodes on a path to a captured tensor, and the ids of those whose
    backward must run (one of their parents is on such a path). The rest of the graph does
    not run, so its hooks are not called and its saved arrays are not freed (as torch).
    A node freed by an earlier pass has lost its parents, so whether it leads to a captured
    tensor is unknown: it runs, and raises as torch does, never silently dropping a path."""
    needed: set[int] = set()
    through: set[int] = set()
    for node in reversed(order):  # parents before the nodes that consume them
        if node._backward is _freed_backward or any(
            id(parent) in needed for parent in node._parents
        ):
            through.add(id(node))
            needed.add(id(node))
        elif id(node) in capture:
            needed.add(id(node))
    return [node for node in order if id(node) in needed], through


def _add_sliced(grads: dict, owned: set, key: int, data: np.ndarray, part: SlicedGrad) -> None:
    """grads[key][part.where] += part.value, in a buffer the engine owns (made on first use,
    zeros or a copy of a shared gradient)."""
    total = grads.get(key)
    if total is None:
        total = np.zeros(data.shape, dtype=data.dtype)
    elif key not in owned:
        total = np.array(total, dtype=data.dtype)  # a copy: the summed array may be shared
    grads[key] = total
    owned.add(key)
    total[part.where] += part.value


def _checked_unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`unbroadcast`, with a clear error when an op's backward returned an impossible shape."""
    try:
        fits = np.broadcast_shapes(grad.shape, shape) == grad.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"backward(): an op's backward returned a gradient of shape {grad.shape} for an input "
            f"of shape {shape}; it must equal the input's shape or be a broadcast of it"
        )
    return unbroadcast(grad, shape)


def as_tensor_like(value, like: Tensor) -> Tensor:
    """Turn a Python scalar/array into a Tensor by the binary-op dtype rules: a Python scalar
    takes `like`'s dtype when `like` is floating or both are integers (never upcasting); an
    integer tensor with a Python float gives the default float dtype (float32)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float)):
        kind = like.data.dtype.kind
        if kind == "f":
            return Tensor(np.asarray(value, dtype=like.data.dtype))
        if isinstance(value, float):
            return Tensor(np.asarray(value, dtype=_DEFAULT_FLOAT[0]))
        if kind in "iu" and not isinstance(value, bool):
            return Tensor(np.asarray(value, dtype=like.data.dtype))
        return Tensor(np.asarray(value))
    return Tensor(value)


from . import ops as _ops  # noqa: E402,F401  binds the ops as Tensor methods and operators
