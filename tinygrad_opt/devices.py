"""Devices, as far as a CPU-only framework has them: PyTorch's `device` names, and the
one check every `device=` / `map_location=` / `.to(device)` argument goes through."""

from __future__ import annotations

DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")


class device(str):  # noqa: N801 - torch's name
    """`torch.device("cpu")`, `device("cuda", 0)`: the device's name as a string ("cpu",
    "cuda:0"), with PyTorch's `.type` and `.index`. Naming another device type is allowed, as
    in PyTorch; moving anything there raises (tinygrad_opt runs on the CPU only)."""

    def __new__(cls, type: str, index: int | None = None) -> device:  # noqa: A002 - torch's
        if isinstance(type, device) and index is None:
            return type
        kind, _, number = str(type).partition(":")
        if kind not in DEVICE_TYPES:
            raise RuntimeError(
                f"device: expected one of {', '.join(DEVICE_TYPES)} at the start of the device "
                f"string, got {type!r}"
            )
        if number:
            if index is not None:
                raise RuntimeError(f"device: {type!r} already names an index; got index={index}")
            if not number.isdigit():
                raise RuntimeError(f"device: invalid device index in {type!r}")
            index = int(number)
        if index is not None and (
            isinstance(index, bool) or not isinstance(index, int) or index < 0
        ):
            raise RuntimeError(f"device: index must be an int >= 0, got {index!r}")
        self = super().__new__(cls, kind if index is None else f"{kind}:{index}")
        self.type, self.index = kind, index
        return self

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"


def names_device(arg) -> bool:
    """Whether a positional argument of `.to(...)` names a device ("cpu", "cuda:0",
    device("cpu")) rather than a dtype."""
    return isinstance(arg, str) and arg.split(":")[0] in DEVICE_TYPES


def check_cpu(who: str, device, argument: str = "device") -> None:
    """Refuse any device but the CPU (None means the default, the CPU)."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(
            f"{who}: tinygrad_opt runs on the CPU only; got {argument} {device!r}"
        )
