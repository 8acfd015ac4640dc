"""Writes the PyTorch checkpoints that tests/test_pytorch_checkpoint.py reads (run with torch).

    python tests/pytorch_files/make_files.py    # needs torch; the tests themselves never do

Every tensor here is a closed form (aranges, a quadratic's Adam steps), so the tests check
what they load against numpy formulas, not against values copied from PyTorch. Written once
with torch 2.13 (CPU); re-run only to refresh the files.
"""

import collections
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def tensors() -> dict:
    a = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    values = {
        "float32": a,
        "transposed": a.t(),  # shares a's storage, strides (1, 4)
        "rows": a[1:],  # shares a's storage from offset 4
        "strided": torch.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)[1:, :, ::2],
        "expanded": torch.arange(3.0).expand(2, 3),  # stride 0
        "float64": torch.arange(5, dtype=torch.float64) / 4,
        "float16": torch.arange(5, dtype=torch.float16) / 2,
        "bfloat16": torch.tensor([1.5, -3.0, 2.0**100, -0.0], dtype=torch.bfloat16),
        "int64": torch.arange(-3, 3, dtype=torch.int64) * 2**40,
        "int32": torch.arange(-3, 3, dtype=torch.int32),
        "int16": torch.arange(-3, 3, dtype=torch.int16),
        "int8": torch.arange(-3, 3, dtype=torch.int8),
        "uint8": torch.arange(250, 256, dtype=torch.uint8),
        "uint16": torch.tensor([0, 1, 65535], dtype=torch.uint16),  # _rebuild_tensor_v3
        "uint16_tail": None,  # filled below: a view sharing uint16's storage
        "bool": torch.tensor([True, False, True]),
        "complex64": torch.tensor([1 + 2j, -3j]),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 4),
        "parameter": torch.nn.Parameter(torch.arange(4.0)),
        "nested": collections.OrderedDict(
            [("list", [1, 2.5, "x", None, True]), ("tuple", (torch.ones(2), -(2**70)))]
        ),
        "size": torch.Size([2, 3]),
        "dtype": torch.float16,
        "device": torch.device("cpu"),
        "bytes": b"\x00\xffab",
        "set": {1, 2},
        "text": "héllo",
    }
    values["uint16_tail"] = values["uint16"][1:]
    return values


def mlp_state() -> dict:
    """Linear(4, 3) -> BatchNorm1d(3) with closed-form weights and running statistics."""
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    with torch.no_grad():
        model[0].weight.copy_(torch.arange(12.0).reshape(3, 4) / 10 - 0.5)
        model[0].bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
        model[1].weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        model[1].bias.copy_(torch.tensor([0.0, -1.0, 1.0]))
        model[1].running_mean.copy_(torch.tensor([0.5, 1.0, -1.0]))
        model[1].running_var.copy_(torch.tensor([4.0, 0.25, 1.0]))
        model[1].num_batches_tracked.fill_(7)
    return model.state_dict()


def adam_run() -> dict:
    """Adam(lr=0.1) for 3 steps on sum(p**2) / 2 from p = [0, 1, 2, 3] / 4 (grad = p)."""
    p = torch.nn.Parameter(torch.arange(4.0) / 4)
    optimizer = torch.optim.Adam([p], lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        (p * p).sum().div(2).backward()
        optimizer.step()
    return {"param": p.detach(), "optimizer": optimizer.state_dict()}


def main() -> None:
    torch.save(tensors(), os.path.join(HERE, "tensors.pt"))
    torch.save(mlp_state(), os.path.join(HERE, "mlp_state.pt"))
    torch.save(adam_run(), os.path.join(HERE, "adam_run.pt"))
    legacy = os.path.join(HERE, "legacy_format.pt")
    torch.save({"a": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    torch.save(torch.nn.Linear(2, 1), os.path.join(HERE, "whole_module.pt"))
    float8 = torch.tensor([1.0], dtype=torch.float8_e4m3fn)
    torch.save({"f8": float8}, os.path.join(HERE, "float8.pt"))


if __name__ == "__main__":
    main()
