"""`torch.utils` spellings: `tinygrad_opt.utils.data` holds `tinygrad_opt.data`'s names, so
`from torch.utils.data import DataLoader, TensorDataset` ports by renaming the package."""

from . import checkpoint as checkpoint
from . import data as data
