"""`torch.cuda`, `torch.backends` and `torch.accelerator` as a CPU-only framework has them, so
the device-selection lines of PyTorch's examples port unchanged:
`torch.device("cuda" if torch.cuda.is_available() else "cpu")` picks the CPU.

Every query answers "not available"; seeding an absent GPU does nothing, as in PyTorch
without CUDA (the CPU generator is `tinygrad_opt.manual_seed`). The cuDNN flags are plain
attributes a script may set; nothing reads them.
"""

from __future__ import annotations

from .amp import _DeviceAmp


def _check_seed(who: str, seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{who} expects an int seed, got {type(seed).__name__}")


class _CUDA:
    """`torch.cuda`: no CUDA devices here. `cuda.amp` has the deprecated GradScaler and
    autocast, which disable themselves as PyTorch's do without a GPU."""

    amp = _DeviceAmp("cuda")

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def manual_seed(seed: int) -> None:
        _check_seed("cuda.manual_seed", seed)

    @staticmethod
    def manual_seed_all(seed: int) -> None:
        _check_seed("cuda.manual_seed_all", seed)


class _CPU:
    """`torch.cpu`: the one device here; `cpu.amp` has the deprecated GradScaler and autocast."""

    amp = _DeviceAmp("cpu")

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def device_count() -> int:
        return 1

    @staticmethod
    def current_device() -> str:
        return "cpu"

    @staticmethod
    def synchronize(device=None) -> None:
        """Nothing runs asynchronously here."""


class _MPS:
    """`torch.backends.mps`: no Apple GPU here."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


class _CuDNN:
    """`torch.backends.cudnn`: settable flags with PyTorch's defaults; without cuDNN they
    change nothing."""

    def __init__(self) -> None:
        self.enabled = True
        self.benchmark = False
        self.deterministic = False

    @staticmethod
    def is_available() -> bool:
        return False


class _Backends:
    def __init__(self) -> None:
        self.mps = _MPS()
        self.cudnn = _CuDNN()


class _Accelerator:
    """`torch.accelerator` (PyTorch 2.6+): there is none, so `current_accelerator()` is None."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def current_accelerator():
        return None

    @staticmethod
    def device_count() -> int:
        return 0


cpu = _CPU()
cuda = _CUDA()
backends = _Backends()
accelerator = _Accelerator()
