"""The package's single source of randomness, so `manual_seed(n)` makes runs repeat exactly.

Every random draw in tinygrad_opt (initialisation, dropout, `randn`/`rand`, shuffling
without an explicit seed) goes through `generator()`.
"""

from __future__ import annotations

import numpy as np

_STATE = {"generator": np.random.default_rng()}


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the package generator; returns it (as torch.manual_seed returns its generator)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed expects a non-negative int, got {seed}")
    _STATE["generator"] = np.random.default_rng(int(seed))
    return _STATE["generator"]


def generator() -> np.random.Generator:
    """The current package generator."""
    return _STATE["generator"]


def get_rng_state() -> dict:
    """The generator's state as plain data (for checkpoints)."""
    return _STATE["generator"].bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by `get_rng_state`."""
    bit_generator = np.random.PCG64()
    bit_generator.state = state
    _STATE["generator"] = np.random.Generator(bit_generator)
