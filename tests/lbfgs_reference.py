"""Plain-numpy L-BFGS with PyTorch's strong-Wolfe line search, written from the algorithm that
torch.optim.LBFGS documents and implements (Nocedal & Wright, "Numerical Optimization",
Algorithms 3.5 and 3.6 with the cubic of eq. 3.59, safeguarded as in minFunc / torch's
lswolfe.lua, ported to torch in pytorch/pytorch#8824; the step's bookkeeping as in the
torch.optim.LBFGS docs). One float64 vector, no kernels, no code shared with the optimizer.

`run(fun, x0, ...)` performs `steps` calls of `LBFGS.step(closure)` where the closure returns
`fun(x) = (loss, grad)`; it returns the final x, the state and a log of every closure call
(the point, and for line-search calls the phase: "first", "bracket" or "zoom").
"""

from __future__ import annotations

import numpy as np


def cubic_minimizer(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), eq. 3.59 written from the
    point farther along the line, clipped to `bounds` (default: the two points); the middle of
    the bounds when the cubic has no local minimum. IEEE arithmetic as on torch's 0-d tensors:
    a zero denominator gives an infinity, which the clipping turns into a bound."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    with np.errstate(all="ignore"):
        x1, f1, g1, x2, f2, g2 = (np.float64(v) for v in (x1, f1, g1, x2, f2, g2))
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        disc = d1**2 - g1 * g2
        if not disc >= 0:
            return (low + high) / 2.0
        d2 = np.sqrt(disc)
        if x2 < x1:  # name the points so that (x2, g2) is the one farther along
            x1, g1, x2, g2 = x2, g2, x1, g1
        candidate = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    return float(min(max(candidate, low), high))


def strong_wolfe(phi, t, d, f0, g0, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25,
                 log=None):  # fmt: skip
    """PyTorch's _strong_wolfe: phi(t) -> (loss, grad) at x + t d. Returns (loss, grad, t,
    number of phi calls). `log`, if a list, receives the phase of every call."""
    gtd0 = float(g0 @ d)
    d_inf = float(np.max(np.abs(d)))
    calls = 0

    def probe(step, phase):
        nonlocal calls
        f, g = phi(step)
        calls += 1
        if log is not None:
            log.append(phase)
        return (step, f, g, float(g @ d))

    def armijo_fails(p):
        return p[1] > f0 + c1 * p[0] * gtd0

    # bracketing: ends with a point meeting both conditions, or an interval holding one
    new = probe(t, "first")
    old = (0, f0, g0, gtd0)
    count = 0  # trial points after the first one
    ends = None
    while count < max_ls:
        # "no lower than the previous point" only from the third trial on (torch's ls_iter > 1;
        # Nocedal & Wright's Algorithm 3.5 starts it at the second)
        if armijo_fails(new) or (count > 1 and new[1] >= old[1]):
            ends = [old, new]
            break
        if abs(new[3]) <= -c2 * gtd0:
            return new[1], new[2], new[0], calls
        if new[3] >= 0:
            ends = [old, new]
            break
        step = cubic_minimizer(old[0], old[1], old[3], new[0], new[1], new[3],
                               bounds=(new[0] + 0.01 * (new[0] - old[0]), new[0] * 10))  # fmt: skip
        old, new = new, probe(step, "bracket")
        count += 1
    if count == max_ls:  # budget spent: the start against the last point (no slopes needed)
        ends = [(0, f0, g0, None), new]

    # zoom: ends[lo] is the lower end; shrink the interval until a point passes
    lo = 0 if ends[0][1] <= ends[1][1] else 1
    stuck = False  # the previous trial fell within 10% of an end
    while count < max_ls:
        left, right = min(ends[0][0], ends[1][0]), max(ends[0][0], ends[1][0])
        if abs(ends[1][0] - ends[0][0]) * d_inf < tolerance_change:
            break
        step = cubic_minimizer(ends[0][0], ends[0][1], ends[0][3],
                               ends[1][0], ends[1][1], ends[1][3])  # fmt: skip
        margin = 0.1 * (right - left)
        if min(right - step, step - left) < margin:
            if stuck or step >= right or step <= left:
                step = right - margin if abs(step - right) < abs(step - left) else left + margin
                stuck = False
            else:
                stuck = True
        else:
            stuck = False
        new = probe(step, "zoom")
        count += 1
        hi = 1 - lo
        if armijo_fails(new) or new[1] >= ends[lo][1]:
            ends[hi] = new
            lo = 0 if ends[0][1] <= ends[1][1] else 1
        else:
            if abs(new[3]) <= -c2 * gtd0:
                ends[lo] = new
                break
            if new[3] * (ends[hi][0] - ends[lo][0]) >= 0:
                ends[hi] = ends[lo]
            ends[lo] = new
    best = ends[lo]
    return best[1], best[2], best[0], calls


def run(fun, x0, steps=1, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7,
        tolerance_change=1e-9, history_size=100, line_search_fn=None, max_ls=None,
        state=None):  # fmt: skip
    """`steps` calls of torch.optim.LBFGS.step on fun(x) -> (loss, grad), from x0 (float64).

    max_ls=None gives the line search PyTorch >= 2.6's budget, max_eval minus the closure
    calls this step has made (pytorch/pytorch#135026); an int gives a fixed budget (25 in
    older releases). Returns (x, state, calls, first_losses): calls lists (x, phase) per
    closure call, phase None outside the line search."""
    if max_eval is None:
        max_eval = max_iter * 5 // 4
    x = np.array(x0, dtype=np.float64)
    state = {"func_evals": 0, "n_iter": 0} if state is None else state
    calls, first_losses = [], []

    def closure(phase=None):
        f, g = fun(x.copy())
        calls.append((x.copy(), phase))
        return float(f), np.array(g, dtype=np.float64)

    for _ in range(steps):
        loss, g = closure()
        first_losses.append(loss)
        state["func_evals"] += 1
        evals = 1
        if np.max(np.abs(g)) <= tolerance_grad:
            continue
        d, t = state.get("d"), state.get("t")
        s_list, y_list, rho = state.get("old_stps"), state.get("old_dirs"), state.get("ro")
        gamma, g_prev, loss_prev = state.get("H_diag"), state.get("prev_flat_grad"), None
        k = 0
        while k < max_iter:
            k += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, s_list, y_list, rho, gamma = -g, [], [], [], 1
            else:
                y, s = g - g_prev, d * t
                ys = float(y @ s)
                if ys > 1e-10:
                    if len(y_list) == history_size:
                        del y_list[0], s_list[0], rho[0]
                    y_list.append(y)
                    s_list.append(s)
                    rho.append(1.0 / ys)
                    gamma = ys / float(y @ y)
                d = two_loop(g, s_list, y_list, rho, gamma)
            g_prev, loss_prev = g.copy(), loss
            t = min(1.0, 1.0 / float(np.sum(np.abs(g)))) * lr if state["n_iter"] == 1 else lr
            gtd = float(g @ d)
            if gtd > -tolerance_change:
                break
            spent = 0
            if line_search_fn == "strong_wolfe":
                start = x.copy()
                phases = []

                def phi(step, start=start, d=d, phases=phases):
                    x[...] = start + step * d
                    return closure()

                budget = max_eval - evals if max_ls is None else max_ls
                loss, g, t, spent = strong_wolfe(phi, t, d, loss, g,
                                                 max_ls=budget, log=phases)  # fmt: skip
                first = len(calls) - len(phases)  # label the line search's calls
                calls[first:] = [(point, phase) for (point, _), phase in zip(calls[first:], phases)]
                x[...] = start + t * d
                optimal = np.max(np.abs(g)) <= tolerance_grad
            else:
                x[...] = x + t * d
                optimal = False
                if k != max_iter:
                    loss, g = closure()
                    optimal = np.max(np.abs(g)) <= tolerance_grad
                    spent = 1
            evals += spent
            state["func_evals"] += spent
            if k == max_iter or evals >= max_eval or optimal:
                break
            if np.max(np.abs(d * t)) <= tolerance_change:
                break
            if abs(loss - loss_prev) < tolerance_change:
                break
        state.update(d=d, t=t, old_dirs=y_list, old_stps=s_list, ro=rho, H_diag=gamma,
                     prev_flat_grad=g_prev, prev_loss=loss_prev)  # fmt: skip
    return x, state, calls, first_losses


def two_loop(g, s_list, y_list, rho, gamma):
    """-H g, Nocedal & Wright Algorithm 7.4 with H0 = gamma I."""
    q = -g
    alpha = [0.0] * len(s_list)
    for i in reversed(range(len(s_list))):
        alpha[i] = float(s_list[i] @ q) * rho[i]
        q = q - alpha[i] * y_list[i]
    r = q * gamma
    for i in range(len(s_list)):
        beta = float(y_list[i] @ r) * rho[i]
        r = r + (alpha[i] - beta) * s_list[i]
    return r
