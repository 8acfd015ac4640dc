"""The package's single source of randomness, so `manual_seed(n)` makes runs repeat exactly,
and `Generator`, a torch.Generator-like stream of one's own.

Every random draw in tinygrad_opt (initialisation, dropout, `randn`/`rand`, shuffling
without an explicit seed) goes through `generator()`, unless a `generator=` is passed.
"""

from __future__ import annotations

import secrets

import numpy as np


def restore_state(bit_generator, new_state, who: str, source: str) -> None:
    """Set `bit_generator` to `new_state`, tried first on a fresh generator of its type, so
    a malformed state raises ValueError (naming `who` and where states come from, `source`)
    and leaves the stream as it was."""
    probe = type(bit_generator)()
    try:
        probe.state = new_state
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise ValueError(
            f"{who}: expected a state returned by {source}, got {new_state!r} ({error})"
        ) from None
    bit_generator.state = probe.state


class Generator(np.random.Generator):
    """A random stream seeded on its own, as `torch.Generator()`: `manual_seed(seed)`
    (returns self), `seed()`, `initial_seed()`, `get_state()` / `set_state(state)`.

    It is a numpy `Generator` (PCG64), so it is accepted wherever one is (`generator=` of the
    random creation functions and fills, nn.init, samplers, `random_split`, `DataLoader`), and
    `Generator().manual_seed(s)` draws what `numpy.random.default_rng(s)` draws. Deviations
    from torch: the streams differ from torch's (the same seed gives other numbers); the
    state is numpy's PCG64 state dict (plain data), not a uint8 tensor; seeds are non-negative
    ints (torch also takes negative ones, as their 64-bit two's complement); `device=` is
    "cpu" only; an unseeded Generator starts from a random seed (torch: a fixed one).
    """

    def __init__(self, device="cpu") -> None:
        if device not in ("cpu", None) and str(device) != "cpu":
            raise ValueError(f"Generator: device must be 'cpu' (the only device), got {device!r}")
        # numpy's default_rng() habit (a fresh random seed), reported by initial_seed()
        self._initial_seed = secrets.randbits(63)
        super().__init__(np.random.PCG64(self._initial_seed))

    def manual_seed(self, seed: int) -> Generator:
        """Reseed in place (the same object keeps drawing, now from `seed`); returns self."""
        self.bit_generator.state = np.random.PCG64(_check_seed("Generator.manual_seed", seed)).state
        self._initial_seed = int(seed)
        return self

    def seed(self) -> int:
        """Reseed from a non-deterministic random number and return that number."""
        seed = secrets.randbits(63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._initial_seed

    def get_state(self) -> dict:
        """The stream's position as plain data (a copy), for `set_state` or a checkpoint."""
        return self.bit_generator.state  # numpy builds a new dict on every read

    def set_state(self, new_state: dict) -> Generator:
        """Continue from a state returned by `get_state`; returns self. A malformed state
        raises ValueError and leaves the generator as it was."""
        restore_state(self.bit_generator, new_state, "Generator.set_state", "get_state()")
        return self

    def __reduce__(self):
        # copy and pickle as a Generator (numpy's own reduce would give a plain numpy one)
        return (_rebuild, (self._initial_seed, self.get_state()))


def _rebuild(initial_seed: int, state: dict) -> Generator:
    g = Generator().set_state(state)
    g._initial_seed = initial_seed
    return g


def _check_seed(op: str, seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op} expects an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{op} expects a non-negative int, got {seed}")
    return int(seed)


# a Generator (not a bare numpy one) so that initial_seed() can report its random seed
_STATE = {"generator": Generator()}


def manual_seed(seed: int) -> Generator:
    """Reseed the package generator; returns it (as torch.manual_seed returns its generator):
    a new `Generator` drawing what `numpy.random.default_rng(seed)` draws."""
    _STATE["generator"] = Generator().manual_seed(_check_seed("manual_seed", seed))
    return _STATE["generator"]


def generator() -> np.random.Generator:
    """The current package generator."""
    return _STATE["generator"]


def resolve(generator, op: str = "generator") -> np.random.Generator:
    """The stream an op draws from: its `generator=` (a `Generator` or any numpy Generator)
    or, when that is None, the package generator."""
    if generator is None:
        return _STATE["generator"]
    if not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"{op}: generator must be a tinygrad_opt.Generator (or numpy Generator), got "
            f"{generator!r}"
        )
    return generator


def get_rng_state() -> dict:
    """The package generator's state (torch.get_rng_state): numpy's PCG64 state dict (plain
    data, a copy), not torch's uint8 tensor; `set_rng_state` takes it back."""
    return _STATE["generator"].bit_generator.state


def set_rng_state(new_state: dict) -> None:
    """Restore a state returned by `get_rng_state` (torch.set_rng_state), in place: the
    package generator (and the object manual_seed returned) draws again what it drew from
    there. A malformed state raises TypeError/ValueError and changes nothing."""
    if not isinstance(new_state, dict):
        raise TypeError(
            f"set_rng_state: expected the dict returned by tinygrad_opt.get_rng_state() "
            f"(numpy's PCG64 state, not torch's uint8 tensor), got {type(new_state).__name__}"
        )
    current = _STATE["generator"].bit_generator
    restore_state(current, new_state, "set_rng_state",
                  f"get_rng_state() for {type(current).__name__}")  # fmt: skip


def initial_seed() -> int | None:
    """The seed the package generator was last seeded with (torch.initial_seed); before any
    `manual_seed`/`seed`, the random seed it started from (None only while a bare numpy
    Generator stands in for it)."""
    return getattr(_STATE["generator"], "_initial_seed", None)


def seed() -> int:
    """Reseed the package generator from a non-deterministic random number and return that
    number (torch.seed); the draws that follow are those `manual_seed(number)` gives."""
    value = secrets.randbits(63)
    manual_seed(value)
    return value
