"""`gumbel_softmax` (Jang et al., 2017, "Categorical Reparameterization with
Gumbel-Softmax"; Maddison et al., 2017): softmax((logits + g) / tau) with g ~ Gumbel(0, 1)
drawn from `tinygrad_opt.random.generator()`, so `manual_seed` repeats it."""

from __future__ import annotations

import numpy as np

from ..ops.axes import normalize_axis
from ..random import generator
from ..tensor import Tensor
from ._layout import float_data
from .activation import softmax


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """A sample from the Gumbel-Softmax distribution along `dim`. With hard=True the result
    is the one-hot of the soft sample's argmax in the forward pass, with the soft sample's
    gradient (straight-through: y_hard - y_soft.detach() + y_soft). `eps` is unused
    (deprecated in torch too); tau is not checked, as torch."""
    x = float_data(logits, "gumbel_softmax")
    axis = normalize_axis("gumbel_softmax", dim, x.ndim)
    if x.ndim == 0:  # as torch: one category, so the sample is 1 (with zero gradient)
        return gumbel_softmax(logits.reshape(1), tau, hard, eps, 0).reshape(())
    # -log(E), E ~ Exponential(1), is Gumbel(0, 1)
    gumbels = -np.log(generator().standard_exponential(x.shape)).astype(x.dtype)
    y_soft = softmax((logits + Tensor(gumbels)) / tau, dim=axis)
    if not hard:
        return y_soft
    y_hard = np.zeros_like(y_soft.data)
    np.put_along_axis(y_hard, np.expand_dims(y_soft.data.argmax(axis=axis), axis), 1.0, axis)
    return y_soft - y_soft.detach() + Tensor(y_hard)
