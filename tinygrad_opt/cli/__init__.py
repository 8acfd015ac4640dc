"""The `tinygrad-opt` command line (also `python -m tinygrad_opt`): one module per subcommand."""

from .main import main

__all__ = ["main"]
