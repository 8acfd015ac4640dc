"""`torch.nn.parallel`: its DataParallel (the CPU has one device, so the wrapper calls the
module directly; see data_parallel.py). DistributedDataParallel needs a process group, which
does not exist here."""

from .data_parallel import DataParallel

__all__ = ["DataParallel"]
