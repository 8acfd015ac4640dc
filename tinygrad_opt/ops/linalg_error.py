"""`LinAlgError`: what the linear-algebra functions raise for a singular or non-positive-
definite input.

torch.linalg.LinAlgError subclasses RuntimeError; ours subclasses ValueError instead, because
these functions raised ValueError before the class existed and `except ValueError` code must
keep catching them.
"""

from __future__ import annotations


class LinAlgError(ValueError):
    """A matrix the function cannot handle numerically: singular where an inverse or a solve
    is needed, not positive definite for a Cholesky factor. A ValueError (torch's is a
    RuntimeError)."""
