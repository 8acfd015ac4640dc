"""`AdaptiveLogSoftmaxWithLoss`: the adaptive softmax of Grave et al. 2017, "Efficient
softmax approximation for GPUs", with torch.nn's arguments, submodules and state_dict keys.

Classes are split by `cutoffs` into a shortlist [0, cutoffs[0]) scored by the head and
clusters [cutoffs[i], cutoffs[i + 1]) (the last ends at n_classes). The head scores the
shortlist plus one logit per cluster; cluster i's tail projects the input to
in_features // div_value ** (i + 1) features, then to its classes. So

    log p(c | x) = head_logp(x)[c]                                  for c in the shortlist
    log p(c | x) = head_logp(x)[shortlist + i] + tail_i_logp(x)[c - cutoffs[i]]  in cluster i

and forward evaluates a cluster's tail only on the rows whose target falls in it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..ops.join import cat
from ..tensor import Tensor
from .containers import ModuleList, Sequential
from .linear import Linear
from .module import Module

_WHO = "AdaptiveLogSoftmaxWithLoss"


class _ASMoutput(NamedTuple):
    """forward's result: the log-probability of each target and the mean of their negatives."""

    output: Tensor
    loss: Tensor


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{_WHO}: {name} must be a positive int, got {value!r}")
    return int(value)


class AdaptiveLogSoftmaxWithLoss(Module):
    """AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value=4.0,
    head_bias=False): `head` = Linear(in_features, cutoffs[0] + len(cutoffs), bias=head_bias)
    and `tail[i]` = Sequential(Linear(in_features, hsz, bias=False), Linear(hsz, osz,
    bias=False)), initialised as nn.Linear.

    forward(input (N, in_features) or (in_features,), target (N,) or ()) returns the named
    tuple (output, loss): output the log-probability of each target, loss = -output.mean().
    log_prob(input (N, in_features)) gives all (N, n_classes) log-probabilities and
    predict(input) their argmax (int64). Deviation: log_prob and predict refuse 1-D input
    with ValueError where PyTorch raises IndexError.
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        in_features = _positive_int(in_features, "in_features")
        n_classes = _positive_int(n_classes, "n_classes")
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError(f"{_WHO}: cutoffs should be a sequence of length larger than 0")
        for c in cutoffs:
            if isinstance(c, bool) or not isinstance(c, numbers.Integral):
                raise TypeError(f"{_WHO}: cutoffs must be ints, got {c!r} in {cutoffs}")
        cutoffs = [int(c) for c in cutoffs]
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
        ):
            raise ValueError(
                f"{_WHO}: cutoffs should be a sequence of unique, positive integers sorted in "
                f"an increasing order, where each value is between 1 and n_classes-1 "
                f"({n_classes - 1}), got {cutoffs}"
            )
        if isinstance(div_value, bool) or not isinstance(div_value, numbers.Real):
            raise TypeError(f"{_WHO}: div_value must be a real number, got {div_value!r}")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = float(div_value)
        self.head_bias = bool(head_bias)
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=self.head_bias, dtype=dtype)
        tails = []
        for i in range(self.n_clusters):
            hsz = int(in_features // (self.div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            tails.append(
                Sequential(
                    Linear(in_features, hsz, bias=False, dtype=dtype),
                    Linear(hsz, osz, bias=False, dtype=dtype),
                )
            )
        self.tail = ModuleList(tails)

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for projection, output in self.tail:
            projection.reset_parameters()
            output.reset_parameters()

    def _input(self, input, who: str, allow_1d: bool) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{who}: input must be a Tensor, got {type(input).__name__}")
        dims = (1, 2) if allow_1d else (2,)
        if input.ndim not in dims or input.shape[-1] != self.in_features:
            expected = f"(N, {self.in_features})" + (
                f" or ({self.in_features},)" if allow_1d else ""
            )
            raise ValueError(f"{who}: input must have shape {expected}, got {input.shape}")
        return input

    def forward(self, input: Tensor, target) -> _ASMoutput:
        x = self._input(input, _WHO, allow_1d=True)
        t = target.data if isinstance(target, Tensor) else np.asarray(target)
        if t.dtype.kind not in "iu":
            raise TypeError(f"{_WHO}: target must hold integer class indices, got {t.dtype}")
        unbatched = x.ndim == 1
        if t.ndim != x.ndim - 1 or (not unbatched and t.shape[0] != x.shape[0]):
            raise ValueError(
                f"{_WHO}: input and target should have the same size in the batch dimension; "
                f"got input {x.shape} and target {t.shape}"
            )
        if unbatched:
            x, t = x.unsqueeze(0), t.reshape(1)
        t = t.astype(np.int64)
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise ValueError(
                f"{_WHO}: target values should be in [0, {self.n_classes - 1}], but values in "
                f"range [{t.min()}, {t.max()}] were found"
            )
        # cluster of each target (-1: the shortlist) and the head column that scores it
        cluster = np.searchsorted(self.cutoffs, t, side="right") - 1
        head_column = np.where(cluster < 0, t, self.shortlist_size + cluster)
        head_logp = self.head(x).log_softmax(axis=1)
        output = head_logp.gather(1, head_column[:, None]).reshape(-1)
        for i in range(self.n_clusters):
            rows = np.flatnonzero(cluster == i)
            if rows.size == 0:
                continue  # its tail is not evaluated, as the paper intends
            tail_logp = self.tail[i](x[rows]).log_softmax(axis=1)
            local = tail_logp.gather(1, (t[rows] - self.cutoffs[i])[:, None]).reshape(-1)
            output = output.index_add(0, rows, local)
        loss = (-output).mean()
        return _ASMoutput(output.reshape(()) if unbatched else output, loss)

    def _full_log_prob(self, x: Tensor) -> Tensor:
        head_logp = self.head(x).log_softmax(axis=1)
        parts = [head_logp[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            column = self.shortlist_size + i
            tail_logp = self.tail[i](x).log_softmax(axis=1)
            parts.append(tail_logp + head_logp[:, column : column + 1])
        return cat(parts, 1)

    def log_prob(self, input: Tensor) -> Tensor:
        """All n_classes log-probabilities of each row of input (N, in_features)."""
        return self._full_log_prob(self._input(input, f"{_WHO}.log_prob", allow_1d=False))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row of input (N, in_features), as int64."""
        x = self._input(input, f"{_WHO}.predict", allow_1d=False)
        return Tensor(self._full_log_prob(x.detach()).data.argmax(axis=1).astype(np.int64))
