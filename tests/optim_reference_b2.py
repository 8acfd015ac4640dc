"""Plain-numpy references for NAdam, RAdam, Adamax, Adadelta, Adafactor, Lion, LAMB, LARS and
AdaBelief, and a dense-BFGS check for L-BFGS's direction, written from PyTorch's documented
pseudocode (torch.optim pages) and from the papers, one parameter tensor at a time.

A reference is `(init, step)` as in optim_reference.py: `init(hp, shape) -> dict` of state
arrays (float64) and `step(p, g, state, t, hp)` updates `p` and `state` in place for that
tensor's step number t (from 1). No fusion, no flat buffers, no shared code with the kernels.
"""

from __future__ import annotations

import math

import numpy as np


def _direction(g, hp):
    return -g if hp.get("maximize", False) else g


def _weight_decay(p, g, hp):
    """Coupled (L2 on the gradient) or decoupled (p *= 1 - lr * wd) weight decay."""
    wd = hp["weight_decay"]
    if wd != 0:
        if hp.get("decoupled_weight_decay", False):
            p *= 1 - hp["lr"] * wd
        else:
            g = g + wd * p
    return g


def _moments_init(hp, shape):
    return {"exp_avg": np.zeros(shape), "exp_avg_sq": np.zeros(shape)}


# ------------------------------------------------------------------------------ NAdam
def nadam_init(hp, shape):
    return {"mu_product": np.ones(()), **_moments_init(hp, shape)}


def nadam_step(p, g, s, t, hp):
    """torch.optim.NAdam (Dozat 2016): momentum schedule mu_t, Nesterov-style first moment."""
    (beta1, beta2), lr, psi = hp["betas"], hp["lr"], hp["momentum_decay"]
    g = _weight_decay(p, _direction(g, hp), hp)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    s["mu_product"][...] = s["mu_product"] * mu
    mu_product = float(s["mu_product"])
    m, v = s["exp_avg"], s["exp_avg_sq"]
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    denom = np.sqrt(v / (1 - beta2**t)) + hp["eps"]
    m_hat = mu_next * m / (1 - mu_product * mu_next) + (1 - mu) * g / (1 - mu_product)
    p -= lr * m_hat / denom


# ------------------------------------------------------------------------------ RAdam
def radam_step(p, g, s, t, hp):
    """torch.optim.RAdam (Liu et al. 2020): Adam rectified when rho_t > 5, SGD with momentum
    before that."""
    (beta1, beta2), lr, eps = hp["betas"], hp["lr"], hp["eps"]
    g = _weight_decay(p, _direction(g, hp), hp)
    m, v = s["exp_avg"], s["exp_avg_sq"]
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho_t > 5:
        l_t = math.sqrt(1 - beta2**t) / (np.sqrt(v) + eps)
        r_t = math.sqrt(
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        )
        p -= lr * m_hat * l_t * r_t
    else:
        p -= lr * m_hat


# ----------------------------------------------------------------------------- Adamax
def adamax_init(hp, shape):
    return {"exp_avg": np.zeros(shape), "exp_inf": np.zeros(shape)}


def adamax_step(p, g, s, t, hp):
    """torch.optim.Adamax (Kingma & Ba 2015, section 7.1): infinity-norm second moment."""
    (beta1, beta2), lr = hp["betas"], hp["lr"]
    g = _weight_decay(p, _direction(g, hp), hp)
    s["exp_avg"][...] = beta1 * s["exp_avg"] + (1 - beta1) * g
    s["exp_inf"][...] = np.maximum(beta2 * s["exp_inf"], np.abs(g) + hp["eps"])
    p -= lr / (1 - beta1**t) * s["exp_avg"] / s["exp_inf"]


# --------------------------------------------------------------------------- Adadelta
def adadelta_init(hp, shape):
    return {"square_avg": np.zeros(shape), "acc_delta": np.zeros(shape)}


def adadelta_step(p, g, s, t, hp):
    """torch.optim.Adadelta (Zeiler 2012, with PyTorch's lr factor on the update)."""
    rho, eps = hp["rho"], hp["eps"]
    g = _weight_decay(p, _direction(g, hp), hp)
    s["square_avg"][...] = rho * s["square_avg"] + (1 - rho) * g * g
    delta = np.sqrt(s["acc_delta"] + eps) / np.sqrt(s["square_avg"] + eps) * g
    s["acc_delta"][...] = rho * s["acc_delta"] + (1 - rho) * delta * delta
    p -= hp["lr"] * delta


# -------------------------------------------------------------------------- Adafactor
def adafactor_init(hp, shape):
    if len(shape) > 1:
        return {
            "row_var": np.zeros(shape[:-1] + (1,)),
            "col_var": np.zeros(shape[:-2] + (1, shape[-1])),
        }
    return {"variance": np.zeros(shape)}


def adafactor_step(p, g, s, t, hp):
    """torch.optim.Adafactor (Shazeer & Stern 2018 with PyTorch's eps1 placement and lr):
    row/column factors are means of g^2 over the last / second-to-last axis."""
    if p.size == 0:
        return
    eps1, eps2 = hp["eps"]
    if eps1 is None:
        eps1 = float(np.finfo(p.dtype).eps)
    lr, d = hp["lr"], hp["d"]
    g = _direction(g, hp)
    one_minus_beta2 = t ** hp["beta2_decay"]
    rho = min(lr, 1 / math.sqrt(t))
    alpha = max(eps2, math.sqrt(float(np.mean(p * p)))) * rho
    p *= 1 - lr * hp["weight_decay"]
    if p.ndim > 1:
        rows, cols = s["row_var"], s["col_var"]
        rows[...] = rows + one_minus_beta2 * (np.mean(g * g, axis=-1, keepdims=True) - rows)
        cols[...] = cols + one_minus_beta2 * (np.mean(g * g, axis=-2, keepdims=True) - cols)
        v = rows * cols / np.maximum(np.mean(rows, axis=-2, keepdims=True), eps1)
    else:
        v = s["variance"]
        v[...] = v + one_minus_beta2 * (g * g - v)
    u = g / np.maximum(np.sqrt(v), eps1)
    rms_u = math.sqrt(float(np.mean(u * u)))
    p -= alpha / max(1.0, rms_u / d) * u


# ------------------------------------------------------------------------------- Lion
def lion_init(hp, shape):
    return {"exp_avg": np.zeros(shape)}


def lion_step(p, g, s, t, hp):
    """Lion (Chen et al. 2023, arXiv:2302.06675, Algorithm 2); decoupled decay times lr."""
    (beta1, beta2), lr = hp["betas"], hp["lr"]
    g = _direction(g, hp)
    c = beta1 * s["exp_avg"] + (1 - beta1) * g
    p -= lr * (np.sign(c) + hp["weight_decay"] * p)
    s["exp_avg"][...] = beta2 * s["exp_avg"] + (1 - beta2) * g


# ------------------------------------------------------------------------------- LAMB
def lamb_step(p, g, s, t, hp):
    """LAMB (You et al. 2019, arXiv:1904.00962, Algorithm 2): phi = identity (no clamp),
    eps outside the square root of v_hat, trust ratio 1 when a norm is zero."""
    (beta1, beta2), lr = hp["betas"], hp["lr"]
    g = _direction(g, hp)
    m, v = s["exp_avg"], s["exp_avg_sq"]
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    r = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + hp["eps"])
    update = r + hp["weight_decay"] * p
    w_norm, u_norm = np.linalg.norm(p), np.linalg.norm(update)
    ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
    p -= lr * ratio * update


# ------------------------------------------------------------------------------- LARS
def lars_init(hp, shape):
    return {"momentum_buffer": np.zeros(shape)}


def lars_step(p, g, s, t, hp):
    """LARS (You et al. 2017, arXiv:1708.03888, Algorithm 1): local lr
    eta * ||w|| / (||g|| + beta * ||w||), 1 when a norm is zero; lr inside the buffer."""
    g = _direction(g, hp)
    wd = hp["weight_decay"]
    w_norm, g_norm = np.linalg.norm(p), np.linalg.norm(g)
    denom = g_norm + wd * w_norm
    local = hp["trust_coefficient"] * w_norm / denom if w_norm > 0 and denom > 0 else 1.0
    buf = s["momentum_buffer"]
    buf[...] = hp["momentum"] * buf + hp["lr"] * local * (g + wd * p)
    p -= buf


# -------------------------------------------------------------------------- AdaBelief
def adabelief_init(hp, shape):
    return {"exp_avg": np.zeros(shape), "exp_avg_var": np.zeros(shape)}


def adabelief_step(p, g, s, t, hp):
    """AdaBelief (Zhuang et al. 2020, arXiv:2010.07468, Algorithm 2): eps inside s_t and in
    the denominator."""
    (beta1, beta2), lr, eps = hp["betas"], hp["lr"], hp["eps"]
    g = _weight_decay(p, _direction(g, hp), hp)
    m, var = s["exp_avg"], s["exp_avg_var"]
    m[...] = beta1 * m + (1 - beta1) * g
    var[...] = beta2 * var + (1 - beta2) * (g - m) ** 2 + eps
    m_hat = m / (1 - beta1**t)
    s_hat = var / (1 - beta2**t)
    p -= lr * m_hat / (np.sqrt(s_hat) + eps)


REFERENCES_B2 = {
    "nadam": (nadam_init, nadam_step),
    "radam": (_moments_init, radam_step),
    "adamax": (adamax_init, adamax_step),
    "adadelta": (adadelta_init, adadelta_step),
    "adafactor": (adafactor_init, adafactor_step),
    "lion": (lion_init, lion_step),
    "lamb": (_moments_init, lamb_step),
    "lars": (lars_init, lars_step),
    "adabelief": (adabelief_init, adabelief_step),
}


# ------------------------------------------------------------------------------ L-BFGS
def bfgs_direction(grad, steps, grad_diffs, gamma):
    """-H g with H from the explicit BFGS recursion (Nocedal & Wright, eq. 7.19) started at
    gamma * I and applying the (s, y) pairs oldest first. L-BFGS's two-loop recursion must
    give the same direction; this builds the dense matrix, so only for small problems."""
    n = grad.size
    h = gamma * np.eye(n)
    for s, y in zip(steps, grad_diffs):
        rho = 1.0 / float(y @ s)
        left = np.eye(n) - rho * np.outer(s, y)
        h = left @ h @ left.T + rho * np.outer(s, s)
    return -h @ grad
