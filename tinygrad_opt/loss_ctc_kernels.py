"""Numba kernels of the CTC loss (Graves et al. 2006), one sample per `prange` iteration.

Sample n has input length T_n, target l of length L (padded rows of `targets`) and the
extended label sequence l' = (blank, l_1, blank, l_2, ..., l_L, blank) of W = 2L + 1
states: even states are blanks, odd state s is label l_(s // 2). Log space throughout, so
long inputs do not underflow.

    alpha_0(0) = y_0(blank), alpha_0(1) = y_0(l_1)
    alpha_t(s) = y_t(l'_s) + logsumexp(alpha_(t-1)(s), alpha_(t-1)(s-1), alpha_(t-1)(s-2))
    loss = -logsumexp(alpha_(T_n - 1)(W - 1), alpha_(T_n - 1)(W - 2))

where y = log_probs and the s - 2 term counts only for an odd s whose label differs from the
one before (a repeated label needs a blank between its copies). beta_t(s) is the log
probability of finishing from state s after step t (the emission at t excluded):

    beta_(T_n - 1)(W - 1) = beta_(T_n - 1)(W - 2) = 0
    beta_t(s) = logsumexp over s' in {s, s+1, s+2 (same rule)} of y_(t+1)(l'_s') + beta_(t+1)(s')

so the probability of all alignments through class c at step t is
sum over s with l'_s = c of exp(alpha_t(s) + beta_t(s)), and
d loss / d y_t(c) = -exp(logsumexp_(s: l'_s = c)(alpha_t(s) + beta_t(s)) + loss).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .jit import kernel, serial_twin

# alpha cells (N * T * W) from which splitting samples over threads pays for the launch
PARALLEL_MIN_CELLS = 1 << 16


@kernel(parallel=False, inline=True)
def _logadd(a, b):
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    if a > b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


@kernel(parallel=False, inline=True)
def _state_class(targets, n, s, blank):
    return blank if s % 2 == 0 else targets[n, s // 2]


@kernel(parallel=False, inline=True)
def _may_skip(targets, n, s):
    """Whether state s may be entered from s - 2 (an odd s after a different label)."""
    return s % 2 == 1 and s >= 3 and targets[n, s // 2] != targets[n, s // 2 - 1]


@kernel
def ctc_alpha(log_probs, targets, input_lengths, target_lengths, blank, alpha, nll):
    """Fill alpha (N, T, W_max) for t < T_n, s < W_n and nll (N,), the loss per sample."""
    for n in prange(log_probs.shape[1]):
        steps = input_lengths[n]
        width = 2 * target_lengths[n] + 1
        if steps == 0:  # no step to emit anything: only the empty target is reachable
            nll[n] = 0.0 if width == 1 else np.inf
            continue
        for s in range(width):
            alpha[n, 0, s] = -np.inf
        alpha[n, 0, 0] = log_probs[0, n, blank]
        if width > 1:
            alpha[n, 0, 1] = log_probs[0, n, targets[n, 0]]
        for t in range(1, steps):
            for s in range(width):
                total = alpha[n, t - 1, s]
                if s >= 1:
                    total = _logadd(total, alpha[n, t - 1, s - 1])
                if _may_skip(targets, n, s):
                    total = _logadd(total, alpha[n, t - 1, s - 2])
                if total == -np.inf:
                    alpha[n, t, s] = -np.inf
                else:
                    alpha[n, t, s] = total + log_probs[t, n, _state_class(targets, n, s, blank)]
        last = alpha[n, steps - 1, width - 1]
        if width > 1:
            last = _logadd(last, alpha[n, steps - 1, width - 2])
        nll[n] = -last


@kernel
def ctc_grad(log_probs, targets, input_lengths, target_lengths, blank, alpha, nll, upstream,
             zeroed, grad):
    """grad (T, N, C) = upstream[n] * d nll[n] / d log_probs[t, n, c] (the module docstring's
    rule); 0 for t >= T_n and for samples with zeroed[n] (zero_infinity)."""
    steps_max, batch, classes = log_probs.shape
    width_max = alpha.shape[2]
    for n in prange(batch):
        for t in range(steps_max):
            for c in range(classes):
                grad[t, n, c] = 0.0
        steps = input_lengths[n]
        if zeroed[n] or steps == 0:
            continue
        width = 2 * target_lengths[n] + 1
        beta = np.empty(width_max)
        before = np.empty(width_max)  # beta_(t+1) while beta_t is built
        through = np.empty(classes)
        for s in range(width):
            beta[s] = -np.inf
        beta[width - 1] = 0.0
        if width > 1:
            beta[width - 2] = 0.0
        scale = -upstream[n]
        for t in range(steps - 1, -1, -1):
            if t < steps - 1:
                for s in range(width):
                    before[s] = beta[s] + log_probs[t + 1, n, _state_class(targets, n, s, blank)]
                for s in range(width):
                    total = before[s]
                    if s + 1 < width:
                        total = _logadd(total, before[s + 1])
                    if s + 2 < width and _may_skip(targets, n, s + 2):
                        total = _logadd(total, before[s + 2])
                    beta[s] = total
            for c in range(classes):
                through[c] = -np.inf
            for s in range(width):
                c = _state_class(targets, n, s, blank)
                through[c] = _logadd(through[c], alpha[n, t, s] + beta[s])
            for c in range(classes):
                grad[t, n, c] = scale * math.exp(through[c] + nll[n])


ctc_alpha_serial = serial_twin(ctc_alpha)
ctc_grad_serial = serial_twin(ctc_grad)


def forward(log_probs, targets, input_lengths, target_lengths, blank):
    """(nll, alpha) for float64 log_probs (T, N, C), int64 padded targets (N, S) and int64
    lengths (N,)."""
    steps, batch, _ = log_probs.shape
    width = 2 * targets.shape[1] + 1
    alpha = np.empty((batch, steps, width))
    nll = np.empty(batch)
    run = ctc_alpha if alpha.size >= PARALLEL_MIN_CELLS and batch > 1 else ctc_alpha_serial
    run(log_probs, targets, input_lengths, target_lengths, blank, alpha, nll)
    return nll, alpha


def backward(log_probs, targets, input_lengths, target_lengths, blank, alpha, nll, upstream,
             zeroed):
    """The float64 gradient (T, N, C) of sum_n upstream[n] nll[n] for `forward`'s outputs."""
    grad = np.empty_like(log_probs)
    batch = log_probs.shape[1]
    run = ctc_grad if alpha.size >= PARALLEL_MIN_CELLS and batch > 1 else ctc_grad_serial
    run(log_probs, targets, input_lengths, target_lengths, blank, alpha, nll, upstream, zeroed,
        grad)
    return grad
