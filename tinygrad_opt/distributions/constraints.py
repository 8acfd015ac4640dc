"""Constraints on parameters and supports, with torch.distributions.constraints' names.

`check(value)` takes a numpy array and returns a boolean array with `event_dim` fewer
dimensions (True where valid). NaN fails every check, as in torch (real is x == x).
"""

from __future__ import annotations

import numpy as np


class Constraint:
    """A region of valid values; `event_dim` dimensions on the right form one event."""

    is_discrete = False
    event_dim = 0

    def check(self, value: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__[1:]}()"


class _Dependent(Constraint):
    """A constraint that depends on other parameters; not checked by itself."""

    def __init__(self, *, is_discrete: bool = False, event_dim: int = 0) -> None:
        self.is_discrete = is_discrete
        self.event_dim = event_dim

    def check(self, value):
        raise ValueError("cannot check a dependent constraint by itself")


def is_dependent(constraint) -> bool:
    return isinstance(constraint, _Dependent)


class _Real(Constraint):
    def check(self, value):
        return value == value  # NaN fails


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _GreaterThan(Constraint):
    def __init__(self, lower_bound) -> None:
        self.lower_bound = lower_bound

    def check(self, value):
        return value > self.lower_bound

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value):
        return value >= self.lower_bound

    def __repr__(self) -> str:
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _Interval(Constraint):
    """lower_bound <= value <= upper_bound."""

    def __init__(self, lower_bound, upper_bound) -> None:
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def check(self, value):
        return (value >= self.lower_bound) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return f"{type(self).__name__[1:]}(lower_bound={self.lower_bound}, " \
               f"upper_bound={self.upper_bound})"


class _IntegerInterval(_Interval):
    is_discrete = True

    def check(self, value):
        return (value % 1 == 0) & super().check(value)


class _Simplex(Constraint):
    """Non-negative along the last dimension, summing to 1 within 1e-6 (torch's tolerance)."""

    event_dim = 1

    def check(self, value):
        return np.all(value >= 0, axis=-1) & (np.abs(value.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        return np.all((value == 0) | (value == 1), axis=-1) & (value.sum(-1) == 1)


class _LowerCholesky(Constraint):
    """Lower-triangular with a positive diagonal."""

    event_dim = 2

    def check(self, value):
        lower = np.all(np.triu(value, 1) == 0, axis=(-2, -1))
        return lower & np.all(np.diagonal(value, axis1=-2, axis2=-1) > 0, axis=-1)


class _PositiveDefinite(Constraint):
    """Symmetric with a Cholesky factor (all eigenvalues > 0)."""

    event_dim = 2

    def check(self, value):
        symmetric = np.all(np.isclose(value, np.swapaxes(value, -1, -2), atol=1e-6), axis=(-2, -1))
        finite = np.all(np.isfinite(value), axis=(-2, -1))
        safe = np.where((symmetric & finite)[..., None, None], value, np.eye(value.shape[-1]))
        return symmetric & finite & np.all(np.linalg.eigvalsh(safe) > 0, axis=-1)


class _Independent(Constraint):
    """`base` on every element, with `reinterpreted_batch_ndims` more event dimensions."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        n = self.reinterpreted_batch_ndims
        return np.all(result, axis=tuple(range(-n, 0))) if n else result

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _IntegerGreaterThanEq(Constraint):
    """Integers >= lower_bound (torch's nonnegative_integer / positive_integer)."""

    is_discrete = True

    def __init__(self, lower_bound) -> None:
        self.lower_bound = lower_bound

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)

    def __repr__(self) -> str:
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Multinomial(Constraint):
    """Non-negative counts along the last dimension summing to at most `upper_bound`
    (as torch's multinomial constraint)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound) -> None:
        self.upper_bound = upper_bound

    def check(self, value):
        return np.all(value >= 0, axis=-1) & (value.sum(-1) <= self.upper_bound)

    def __repr__(self) -> str:
        return f"Multinomial(upper_bound={self.upper_bound})"


dependent = _Dependent()
real = _Real()
real_vector = _Independent(real, 1)
boolean = _Boolean()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
interval = _Interval
integer_interval = _IntegerInterval
independent = _Independent
nonnegative_integer = _IntegerGreaterThanEq(0)
positive_integer = _IntegerGreaterThanEq(1)
multinomial = _Multinomial

__all__ = [
    "Constraint",
    "boolean",
    "dependent",
    "greater_than",
    "greater_than_eq",
    "independent",
    "integer_interval",
    "interval",
    "is_dependent",
    "lower_cholesky",
    "multinomial",
    "nonnegative",
    "nonnegative_integer",
    "one_hot",
    "positive",
    "positive_definite",
    "positive_integer",
    "real",
    "real_vector",
    "simplex",
    "unit_interval",
]


class _HalfOpenInterval(_Interval):
    """lower_bound <= value < upper_bound (torch's half_open_interval)."""

    def check(self, value):
        return (value >= self.lower_bound) & (value < self.upper_bound)


half_open_interval = _HalfOpenInterval
__all__.append("half_open_interval")


class _CorrCholesky(Constraint):
    """Lower Cholesky factors of correlation matrices: lower-triangular, positive diagonal,
    each row of unit length within 10 n eps (torch's tolerance)."""

    event_dim = 2

    def check(self, value):
        tol = 10 * value.shape[-1] * np.finfo(value.dtype if value.dtype.kind == "f"
                                              else np.float64).eps
        unit_rows = np.all(np.abs(np.linalg.norm(value, axis=-1) - 1) <= tol, axis=-1)
        return lower_cholesky.check(value) & unit_rows


def _check_dim(owner: str, dim, ndim: int) -> int:
    if not -ndim <= dim < ndim:
        raise ValueError(f"{owner}: dim {dim} is out of range for a value with {ndim} "
                         "dimensions")
    return dim % ndim


def _constraint_list(cseq, who: str) -> list[Constraint]:
    """cat's and stack's `cseq` as a list, or a TypeError naming `who`."""
    constraints = list(cseq)
    if not constraints or not all(isinstance(c, Constraint) for c in constraints):
        raise TypeError(f"{who}: cseq must be a non-empty list of Constraints, got {cseq!r}")
    return constraints


class _Cat(Constraint):
    """`cseq[i]` on the i-th slice (of length `lengths[i]`, default 1) along `dim`; the
    per-slice results are concatenated along `dim`, as torch (so every constraint should
    have event_dim 0 there, or the slices' results must still line up)."""

    def __init__(self, cseq, dim: int = 0, lengths=None) -> None:
        self.cseq = _constraint_list(cseq, "cat")
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise ValueError(f"cat: {len(self.lengths)} lengths for {len(self.cseq)} constraints")
        self.dim = dim

    @property
    def is_discrete(self) -> bool:
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self) -> int:
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        dim = _check_dim("cat", self.dim, value.ndim)
        if value.shape[dim] != sum(self.lengths):
            raise ValueError(f"cat: value has size {value.shape[dim]} along dim {self.dim}, "
                             f"expected sum(lengths) = {sum(self.lengths)}")
        bounds = np.cumsum([0] + self.lengths)
        parts = [c.check(np.take(value, np.arange(lo, hi), axis=dim))
                 for c, lo, hi in zip(self.cseq, bounds[:-1], bounds[1:])]
        return np.concatenate(parts, axis=self.dim)

    def __repr__(self) -> str:
        return "Cat()"


class _Stack(Constraint):
    """`cseq[i]` on the i-th index along `dim`; the results are stacked along `dim`."""

    def __init__(self, cseq, dim: int = 0) -> None:
        self.cseq = _constraint_list(cseq, "stack")
        self.dim = dim

    @property
    def is_discrete(self) -> bool:
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self) -> int:
        dim = max(c.event_dim for c in self.cseq)
        # a negative dim inside the events adds one event dimension (as torch)
        return dim + 1 if self.dim + dim < 0 else dim

    def check(self, value):
        dim = _check_dim("stack", self.dim, value.ndim)
        if value.shape[dim] != len(self.cseq):
            raise ValueError(f"stack: value has size {value.shape[dim]} along dim {self.dim}, "
                             f"expected {len(self.cseq)} (one per constraint)")
        parts = [c.check(np.take(value, i, axis=dim)) for i, c in enumerate(self.cseq)]
        return np.stack(parts, axis=self.dim)

    def __repr__(self) -> str:
        return "Stack()"


corr_cholesky = _CorrCholesky()
cat = _Cat
stack = _Stack
__all__ += ["cat", "corr_cholesky", "stack"]
