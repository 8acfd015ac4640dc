"""The matrix parameter of MultivariateNormal and Wishart: exactly one of
covariance_matrix, precision_matrix or scale_tril, kept under its own name (broadcast to the
batch), with the unbroadcast Cholesky factor every method works from."""

from __future__ import annotations

from ..ops.cholesky import cholesky

MATRIX_NAMES = ("covariance_matrix", "precision_matrix", "scale_tril")


def given_matrix(owner: str, covariance_matrix, precision_matrix, scale_tril) -> tuple:
    """(name, value) of the one matrix argument given; ValueError unless exactly one is."""
    given = {name: value for name, value in
             zip(MATRIX_NAMES, (covariance_matrix, precision_matrix, scale_tril))
             if value is not None}  # fmt: skip
    if len(given) != 1:
        raise ValueError(
            f"{owner}: give exactly one of covariance_matrix, precision_matrix or scale_tril, "
            f"got {sorted(given) or 'none'}"
        )
    ((name, matrix),) = given.items()
    return name, matrix


def keep_matrix(dist, name: str, matrix, batch: tuple[int, ...]) -> None:
    """After Distribution.__init__: check `matrix` first (with validate_args), so a matrix
    that is not positive definite says so instead of failing to factor; keep it broadcast to
    `batch` under `name`, and its factor as `dist._unbroadcasted_scale_tril`."""
    if dist._validate_args:
        dist._check_param(name, matrix, dist.arg_constraints[name])
    n = matrix.shape[-1]
    dist.__dict__[name] = matrix.expand(*batch, n, n) if matrix.shape[:-2] != batch else matrix
    if name == "scale_tril":
        dist._unbroadcasted_scale_tril = matrix
    elif name == "covariance_matrix":
        dist._unbroadcasted_scale_tril = cholesky(matrix)
    else:
        dist._unbroadcasted_scale_tril = cholesky(matrix.inverse())
