"""`nn.utils.parametrizations`, as torch.nn.utils.parametrizations: `weight_norm` and
`spectral_norm` registered through `parametrize.register_parametrization`, so the weight is
recomputed from its originals on access and gradients reach them; `orthogonal` is in
orthogonal.py (imported here).

Deviations from PyTorch: an out-of-range `dim` raises ValueError (PyTorch: IndexError);
`weight_norm` does not convert old checkpoints holding `weight_g`/`weight_v` keys (PyTorch
does in a load_state_dict pre-hook; rename them to `parametrizations.weight.original0` /
`original1`); `orthogonal` is real-only.
"""

from __future__ import annotations

import numbers

import numpy as np

from ...grad_mode import no_grad
from ...linalg import vector_norm
from ...ops.axes import normalize_axis
from ...random import generator
from ...tensor import Tensor
from ..conv1d import ConvTranspose1d
from ..conv_transpose import ConvTranspose2d
from ..distance import normalize
from ..module import Module
from . import parametrize
from .orthogonal import orthogonal  # noqa: F401  (its own file: the maps it needs)


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of `v` over every dimension but `dim`, kept as size-1 dimensions (one norm
    per slice along `dim`); `dim=-1` means the norm of the whole tensor, a 0-d tensor (as
    torch.norm_except_dim, which weight norm's `dim=None` maps to)."""
    if dim == -1:
        return vector_norm(v)
    axis = normalize_axis("weight_norm", dim, v.ndim)
    others = tuple(d for d in range(v.ndim) if d != axis)
    if not others:  # a 1-D tensor: one entry per slice
        return v.abs()
    return vector_norm(v, 2, others, True)


def weight_norm_apply(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """w = g * v / ||v||, the norm over every dimension but `dim` (torch._weight_norm)."""
    return v * (g / norm_except_dim(v, dim))


def check_weight_norm_dim(dim, weight: Tensor) -> int:
    """`dim` as weight norm reads it: None is -1 (the whole tensor); else an axis of it."""
    if dim is None:
        return -1
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"weight_norm: dim must be an int or None, got {type(dim).__name__}")
    if dim != -1:
        normalize_axis("weight_norm", int(dim), weight.ndim)
    return int(dim)


class _WeightNorm(Module):
    """weight = g * v / ||v||: originals (g, v), g holding one norm per slice along `dim`."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_norm_apply(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalisation (Salimans & Kingma, 2016): w = g * v / ||v||, the norm over all
    dimensions but `dim` (0: one g per output unit; None: one g for the whole tensor).

    As torch.nn.utils.parametrizations.weight_norm: g is `parametrizations.<name>.original0`
    and v `original1`; at registration g = ||w||, v = w, so w keeps its value.
    """
    weight = getattr(module, name, None)
    if isinstance(weight, Tensor):
        dim = check_weight_norm_dim(dim, weight)
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


def normalized(x: np.ndarray, eps: float) -> np.ndarray:
    """x / max(||x||, eps), as F.normalize on a vector."""
    return x / max(float(np.linalg.norm(x)), eps)


def check_spectral_args(n_power_iterations, eps, dim, weight: Tensor, who: str) -> int:
    """Validate spectral norm's arguments; returns `dim` in [0, ndim)."""
    if isinstance(n_power_iterations, bool) or not isinstance(
        n_power_iterations, (int, np.integer)
    ):
        raise TypeError(
            f"{who}: n_power_iterations must be an int, got {type(n_power_iterations).__name__}"
        )
    if n_power_iterations <= 0:
        raise ValueError(
            "Expected n_power_iterations to be positive, but got "
            f"n_power_iterations={n_power_iterations}"
        )
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"{who}: eps must be a number >= 0, got {eps!r}")
    return normalize_axis(who, dim, max(weight.ndim, 1))


def default_spectral_dim(module: Module) -> int:
    # a transposed convolution keeps its output channels in dimension 1
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0


def weight_matrix(weight, dim: int):
    """`weight` (a Tensor or array) as a matrix: dimension `dim` first, the rest flattened."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim)) \
            if isinstance(weight, Tensor) else np.moveaxis(weight, dim, 0)  # fmt: skip
    return weight.reshape(weight.shape[0], -1)


def divided_by_sigma(weight: Tensor, mat: Tensor, u: np.ndarray, v: np.ndarray) -> Tensor:
    """weight / sigma with sigma = u . (W v), W = `mat` (the weight as a matrix). u and v are
    copied: sigma's graph must not see later in-place updates of the power-iteration
    buffers."""
    return weight / Tensor(u.copy()).dot(mat.mv(Tensor(v.copy())))


class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of the weight as a matrix (rows along
    `dim`), estimated by power iteration with the buffers `_u` and `_v`."""

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        self.dim = check_spectral_args(n_power_iterations, eps, dim, weight, "spectral_norm")
        self.eps = float(eps)
        if weight.ndim > 1:
            self.n_power_iterations = int(n_power_iterations)
            h, w = weight_matrix(weight.data, self.dim).shape
            dtype = weight.data.dtype
            u = normalized(generator().normal(size=h).astype(dtype), self.eps)
            v = normalized(generator().normal(size=w).astype(dtype), self.eps)
            self.register_buffer("_u", Tensor(u.astype(dtype)))
            self.register_buffer("_v", Tensor(v.astype(dtype)))
            # start from a good estimate, as PyTorch: 15 iterations at registration
            self._power_method(weight_matrix(weight.data, self.dim), 15)

    def _power_method(self, mat: np.ndarray, n_power_iterations: int) -> None:
        """u <- W v / ||W v||, then v <- W^T u / ||W^T u||, into the buffers in place."""
        u, v = self._u.data, self._v.data
        for _ in range(n_power_iterations):
            np.copyto(u, normalized(mat @ v, self.eps))
            np.copyto(v, normalized(mat.T @ u, self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        mat = weight_matrix(weight, self.dim)
        if self.training:  # eval uses the stored vectors, so it does not change them
            with no_grad():
                self._power_method(mat.data, self.n_power_iterations)
        return divided_by_sigma(weight, mat, self._u.data, self._v.data)

    def right_inverse(self, value: Tensor) -> Tensor:
        # any weight is its own original: sigma is recomputed from it
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Spectral normalisation (Miyato et al., 2018): weight / sigma(weight), as
    torch.nn.utils.parametrizations.spectral_norm.

    sigma = u . (W v), with W the weight as a matrix (rows along `dim`; default 0, or 1 for a
    transposed convolution) and u, v (buffers `parametrizations.<name>.0._u` / `_v`) refined
    by `n_power_iterations` steps of power iteration at each access in training mode only
    (and 15 at registration); eval mode uses the stored vectors. A 1-D weight is divided by
    its norm instead.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = default_spectral_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
