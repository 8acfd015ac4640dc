"""`biject_to(constraint)` and `transform_to(constraint)`: a transform from the reals onto
a constrained space, as torch.distributions.constraint_registry (for optimising
constrained parameters through an unconstrained one). `biject_to` gives bijections (for
HMC-style log-density changes), `transform_to` any map onto the space (softmax for the
simplex, LowerCholeskyTransform for Cholesky factors, PositiveDefiniteTransform for
positive-definite matrices); both give CorrCholeskyTransform for corr_cholesky and a
Cat/StackTransform of the parts' transforms for cat/stack. Covers the constraint types of
constraints.py; others raise NotImplementedError, as torch. `register` adds a factory.
"""

from __future__ import annotations

from . import constraints
from . import transforms as t


class ConstraintRegistry:
    """Factories `fn(constraint) -> Transform` by constraint type (or a singleton's type)."""

    def __init__(self) -> None:
        self._registry: dict = {}

    def register(self, constraint, factory=None):
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint, constraints.Constraint)):
            raise TypeError("register: constraint must be a Constraint subclass or instance, "
                            f"got {constraint!r}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint) -> t.Transform:
        for cls in type(constraint).__mro__:
            if cls in self._registry:
                return self._registry[cls](constraint)
        raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _real(constraint):
    return t.identity_transform


def _independent(constraint):
    return t.IndependentTransform(biject_to(constraint.base_constraint),
                                  constraint.reinterpreted_batch_ndims)


def _independent_any(constraint):
    return t.IndependentTransform(transform_to(constraint.base_constraint),
                                  constraint.reinterpreted_batch_ndims)


def _greater_than(constraint):
    return t.ComposeTransform([t.ExpTransform(), t.AffineTransform(constraint.lower_bound, 1)])


def _interval(constraint):
    low, high = constraint.lower_bound, constraint.upper_bound
    if isinstance(low, (int, float)) and isinstance(high, (int, float)) and (low, high) == (0, 1):
        return t.SigmoidTransform()
    return t.ComposeTransform([t.SigmoidTransform(), t.AffineTransform(low, high - low)])


for _registry in (biject_to, transform_to):
    _registry.register(constraints._Real, _real)
    _registry.register(constraints._GreaterThan, _greater_than)
    _registry.register(constraints._Interval, _interval)
biject_to.register(constraints._Independent, _independent)
transform_to.register(constraints._Independent, _independent_any)
biject_to.register(constraints._Simplex, lambda c: t.StickBreakingTransform())
transform_to.register(constraints._Simplex, lambda c: t.SoftmaxTransform())
transform_to.register(constraints._LowerCholesky, lambda c: t.LowerCholeskyTransform())

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


def _cat(constraint, registry):
    return t.CatTransform([registry(c) for c in constraint.cseq], constraint.dim,
                          constraint.lengths)


def _stack(constraint, registry):
    return t.StackTransform([registry(c) for c in constraint.cseq], constraint.dim)


for _registry in (biject_to, transform_to):
    _registry.register(constraints._CorrCholesky, lambda c: t.CorrCholeskyTransform())
    _registry.register(constraints._Cat, lambda c, r=_registry: _cat(c, r))
    _registry.register(constraints._Stack, lambda c, r=_registry: _stack(c, r))
transform_to.register(constraints._PositiveDefinite, lambda c: t.PositiveDefiniteTransform())
