"""OneHotCategorical with a straight-through rsample, as
torch.distributions.OneHotCategoricalStraightThrough."""

from __future__ import annotations

from ..tensor import Tensor
from .one_hot_categorical import OneHotCategorical


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """Bengio et al. (2013): rsample returns the one-hot draw in the forward pass and
    passes the gradient to probs as if the draw were probs (draw + probs - probs.detach())."""

    has_rsample = True

    def rsample(self, sample_shape=()) -> Tensor:
        draw = self.sample(sample_shape)
        probs = self.probs
        return draw + (probs - probs.detach())
