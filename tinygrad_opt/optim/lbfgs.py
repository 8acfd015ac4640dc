"""L-BFGS (Nocedal, 1980; Liu & Nocedal, 1989) with PyTorch's interface, on the flat buffers.

The parameters of the (single) group already live in one contiguous vector, so the method
works on it directly: no gathering or scattering per evaluation. Vector updates are fused
Numba kernels; dot products go to numpy (BLAS).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numba import prange

from ..grad_mode import enable_grad
from ..jit import kernel
from ..tensor import Tensor
from .grad_kernels import count_nonfinite
from .optimizer import Optimizer, check_number
from .registry import register

# Below this many elements a parallel launch costs more than the loop (and L-BFGS makes
# dozens of launches per iteration), so small problems use the serial twins.
PARALLEL_MIN_SIZE = 1 << 15


@kernel
def _add_scaled_parallel(y, alpha, x):
    """y += alpha * x, in place."""
    for i in prange(y.size):
        y[i] += alpha * x[i]


@kernel(parallel=False)
def _add_scaled_serial(y, alpha, x):
    for i in range(y.size):
        y[i] += alpha * x[i]


@kernel
def _set_point_parallel(out, x, t, d):
    """out = x + t * d, in place."""
    for i in prange(out.size):
        out[i] = x[i] + t * d[i]


@kernel(parallel=False)
def _set_point_serial(out, x, t, d):
    for i in range(out.size):
        out[i] = x[i] + t * d[i]


def _add_scaled(y: np.ndarray, alpha, x: np.ndarray) -> None:
    """y += alpha * x in place (alpha in y's dtype)."""
    if y.size >= PARALLEL_MIN_SIZE:
        _add_scaled_parallel(y, alpha, x)
    else:
        _add_scaled_serial(y, alpha, x)


def _set_point(out: np.ndarray, x: np.ndarray, t, d: np.ndarray) -> None:
    """out = x + t * d in place (t in out's dtype)."""
    if out.size >= PARALLEL_MIN_SIZE:
        _set_point_parallel(out, x, t, d)
    else:
        _set_point_serial(out, x, t, d)


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Invalid {name}: {value!r}; expected an integer >= {low}")
    if value < low:
        raise ValueError(f"Invalid {name}: {value}; expected an integer >= {low}")


def _cubic_minimum(x1, f1, g1, x2, f2, g2, low, high):
    """Minimiser of the cubic matching f and f' at x1 and x2 (Nocedal & Wright eq. 3.59),
    clamped to [low, high]; the midpoint when the cubic has no minimum. A zero denominator
    gives an infinite step, clamped to a bound, as PyTorch's interpolation does."""
    d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0.0:
        d2 = math.copysign(math.sqrt(d2_square), x2 - x1)
        with np.errstate(divide="ignore", invalid="ignore"):  # IEEE: x / 0 is +-inf
            ratio = np.float64(g2 + d2 - d1) / np.float64(g2 - g1 + 2.0 * d2)
        t = float(x2 - (x2 - x1) * ratio)
        if not math.isnan(t):
            return min(max(t, low), high)
    return 0.5 * (low + high)


def strong_wolfe(
    evaluate: Callable[[float], tuple[float, np.ndarray]],
    t: float,
    d: np.ndarray,
    loss: float,
    grad: np.ndarray,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_evals: int = 26,
) -> tuple[float, np.ndarray, float, int]:
    """Line search for a step satisfying the strong Wolfe conditions (Nocedal & Wright,
    "Numerical Optimization", 2nd ed., Algorithms 3.5 and 3.6), with the choices of
    PyTorch's search (a port of minFunc's): cubic interpolation, extrapolation within
    [t + 0.01 (t - t_prev), 10 t], and a trial within 10% of a bracket end taken once, then
    moved 10% inside the nearer end.

    `evaluate(t)` returns the loss and a gradient copy at x + t d; it is called at most
    `max_evals` times. Returns (loss, grad, t, evaluations): the step that met both
    conditions, else the end of the last bracket with the lower loss (t = 0, the start, if
    the budget ran out before a first bracket and the last trial did not improve on it).
    """
    gtd0 = float(grad @ d)
    d_max = float(np.max(np.abs(d))) if d.size else 0.0
    start = (0.0, loss, grad, gtd0)
    trials = max_evals - 1  # evaluations after the first

    def probe(step):
        f, g = evaluate(step)
        return (step, f, g, float(g @ d))

    def sufficient_decrease(point):
        return point[1] <= loss + c1 * point[0] * gtd0

    def curvature(point):
        return abs(point[3]) <= -c2 * gtd0

    # bracketing: extrapolate until [previous, current] must hold an acceptable step
    done = 0  # trials made
    previous, current = start, probe(t)
    bracket = None
    while done < trials:
        # the "no lower than the previous trial" test starts at the third trial, as PyTorch
        if not sufficient_decrease(current) or (done > 1 and current[1] >= previous[1]):
            bracket = [previous, current]
            break
        if curvature(current):
            return current[1], current[2], current[0], done + 1
        if current[3] >= 0:
            bracket = [previous, current]
            break
        step, prev_step = current[0], previous[0]
        t = _cubic_minimum(prev_step, previous[1], previous[3], step, current[1], current[3],
                           step + 0.01 * (step - prev_step), 10.0 * step)  # fmt: skip
        previous, current = current, probe(t)
        done += 1
    if bracket is None:  # out of budget: the start and the last trial
        bracket = [start, current]

    # zoom: shrink the bracket; `low` is its end with the lower loss (the first on a tie)
    def ends():
        return (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)

    low, high = ends()
    insufficient_progress = False
    while done < trials:
        a, b = sorted((bracket[0][0], bracket[1][0]))
        if (b - a) * d_max < tolerance_change:
            break
        t = _cubic_minimum(bracket[0][0], bracket[0][1], bracket[0][3],
                           bracket[1][0], bracket[1][1], bracket[1][3], a, b)  # fmt: skip
        margin = 0.1 * (b - a)
        if min(b - t, t - a) < margin:  # near an end: little progress
            if insufficient_progress or t >= b or t <= a:
                t = b - margin if abs(t - b) < abs(t - a) else a + margin
                insufficient_progress = False
            else:
                insufficient_progress = True  # allowed once
        else:
            insufficient_progress = False
        trial = probe(t)
        done += 1
        if not sufficient_decrease(trial) or trial[1] >= bracket[low][1]:
            bracket[high] = trial
            low, high = ends()
            continue
        met = curvature(trial)
        if not met and trial[3] * (bracket[high][0] - bracket[low][0]) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = trial
        if met:
            break
    step, f, g, _ = bracket[low]
    return f, g, step, done + 1


@register("lbfgs")
class LBFGS(Optimizer):
    r"""L-BFGS, as torch.optim.LBFGS (Liu & Nocedal, "On the limited memory BFGS method for
    large scale optimization", 1989; Nocedal & Wright, "Numerical Optimization", ch. 7).

    Defaults: lr=1, max_iter=20, max_eval=max_iter * 5 // 4, tolerance_grad=1e-7,
    tolerance_change=1e-9, history_size=100, line_search_fn=None (or "strong_wolfe").
    `step(closure)` runs up to max_iter iterations; the closure must zero the grads,
    compute the loss, call backward() and return the loss. Each iteration:

        d = -H g by the two-loop recursion over the last history_size pairs
            (s = x_{k+1} - x_k, y = g_{k+1} - g_k, kept only if y.s > 1e-10), H0 = (y.s / y.y) I
        t = lr (the first iteration ever: min(1, 1 / ||g||_1) * lr), or a strong-Wolfe t
        x = x + t d
    and it stops early when max|g| <= tolerance_grad, g.d > -tolerance_change,
    max|t d| <= tolerance_change, |loss change| < tolerance_change, or after max_eval
    closure calls. Returns the loss of the first closure call.

    As PyTorch: one parameter group only, grads of None count as zeros, state (d, t,
    old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss, func_evals, n_iter) lives in
    state[first parameter]. Deviations: all parameters must share one dtype (they form one
    flat vector); `al` (scratch of the recursion) is not part of the state. The strong-Wolfe
    search (`strong_wolfe`, c1=1e-4, c2=0.9) makes the trials PyTorch 2.13's makes, within
    the closure calls max_eval leaves; where a cubic step is NaN (0/0) it takes the middle of
    the bracket instead of evaluating NaN.
    """

    _VECTORS = ("d", "prev_flat_grad")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
        *,
        skip_nonfinite: bool = False,
    ) -> None:
        if isinstance(max_iter, numbers.Integral) and max_eval is None:
            max_eval = max_iter * 5 // 4
        params = list(params) if not isinstance(params, Tensor) else params
        if isinstance(params, list) and len(params) > 1 and isinstance(params[0], dict):
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        defaults = dict(
            lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change, history_size=history_size,
            line_search_fn=line_search_fn,
        )  # fmt: skip
        self._check_dtypes(params)
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)
        (self._buffer,) = self.flat_buffers()
        self._first = self._buffer.params[0]
        self.state = {self._first: {"func_evals": 0, "n_iter": 0}}

    @staticmethod
    def _check_dtypes(params: Any) -> None:
        """One flat vector needs one dtype; say so before any parameter is touched."""
        if not isinstance(params, list):
            return
        tensors = []
        for item in params:
            if isinstance(item, dict):
                raw = item.get("params", [])
                tensors.extend([raw] if isinstance(raw, Tensor) else list(raw))
            else:
                tensors.append(item)
        tensors = [t[1] if isinstance(t, tuple) and len(t) == 2 else t for t in tensors]
        dtypes = {t.data.dtype for t in tensors if isinstance(t, Tensor)}
        if len(dtypes) > 1:
            raise TypeError(
                f"LBFGS works on one flat vector, so all parameters must share a dtype; got "
                f"{sorted(str(d) for d in dtypes)} (convert them, e.g. to float64)"
            )

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        _check_int("max_iter", group["max_iter"], 1)
        _check_int("max_eval", group["max_eval"], 1)
        check_number("tolerance_grad", group["tolerance_grad"], low=0.0)
        check_number("tolerance_change", group["tolerance_change"], low=0.0)
        _check_int("history_size", group["history_size"], 1)
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                f"Invalid line_search_fn: {group['line_search_fn']!r}; expected None or "
                "'strong_wolfe'"
            )

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    # -------------------------------------------------------------------------- step
    def _evaluate(self, closure: Callable[[], Any]) -> tuple[Any, float]:
        """Call the closure; the flat grad buffer then holds the gradient (None -> 0)."""
        with enable_grad():
            raw = closure()
        buffer = self._buffer
        active = buffer.sync()  # None: every gradient is already in the buffer
        for i, has_grad in enumerate(active or ()):
            if not has_grad:
                buffer.grad[buffer.offsets[i] : buffer.offsets[i + 1]] = 0
        loss = raw.item() if isinstance(raw, Tensor) else raw
        return raw, float(loss)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run up to max_iter L-BFGS iterations; returns the first closure's loss."""
        if closure is None:
            raise RuntimeError(
                "LBFGS.step needs a closure that zeroes the grads, computes the loss, calls "
                "backward() and returns the loss"
            )
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        buffer, state = self._buffer, self.state[self._first]
        x = buffer.data

        orig_loss, loss = self._evaluate(closure)
        state["func_evals"] += 1
        if self.skip_nonfinite and (not math.isfinite(loss) or count_nonfinite(buffer.grad)):
            self.skipped_steps += 1
            return orig_loss
        flat_grad = buffer.grad.copy()
        current_evals = 1
        if flat_grad.size == 0 or np.max(np.abs(flat_grad)) <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps = state.get("old_dirs", []), state.get("old_stps", [])
        ro, h_diag = state.get("ro", []), state.get("H_diag", 1.0)
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                h_diag = self._remember(flat_grad, prev_flat_grad, d, t, old_dirs, old_stps,
                                        ro, h_diag, history_size)  # fmt: skip
                d = self._two_loop(flat_grad, old_dirs, old_stps, ro, h_diag)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                np.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.sum(np.abs(flat_grad)))) * lr
            else:
                t = lr
            gtd = float(flat_grad @ d)
            if gtd > -tolerance_change:
                break

            evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                start = x.copy()

                def evaluate_at(step, start=start, d=d):
                    _set_point(x, start, x.dtype.type(step), d)
                    _, value = self._evaluate(closure)
                    return value, buffer.grad.copy()

                # as PyTorch 2.13: the search may use what is left of max_eval (plus one:
                # its first trial), and its own bracket tolerance, not tolerance_change
                loss, flat_grad, t, evals = strong_wolfe(
                    evaluate_at, t, d, loss, flat_grad, max_evals=max_eval - current_evals + 1
                )
                _set_point(x, start, x.dtype.type(t), d)
                opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
            else:
                _add_scaled(x, x.dtype.type(t), d)
                opt_cond = False
                if n_iter != max_iter:
                    _, loss = self._evaluate(closure)
                    flat_grad = buffer.grad.copy()
                    opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if abs(t) * float(np.max(np.abs(d))) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)  # fmt: skip
        return orig_loss

    @staticmethod
    def _remember(flat_grad, prev_flat_grad, d, t, old_dirs, old_stps, ro, h_diag, size):
        """Add the newest (s, y) pair if y.s > 1e-10 (curvature), dropping the oldest when
        the history is full (a rejected pair drops nothing); returns the new H_diag."""
        y, s = flat_grad - prev_flat_grad, d * t
        ys = float(y @ s)
        if ys > 1e-10:
            if len(old_dirs) == size:
                old_dirs.pop(0)
                old_stps.pop(0)
                ro.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            return ys / float(y @ y)
        return h_diag

    @staticmethod
    def _two_loop(flat_grad, old_dirs, old_stps, ro, h_diag):
        """-H g by the two-loop recursion (Nocedal & Wright, Algorithm 7.4)."""
        q = -flat_grad
        alphas = [0.0] * len(old_dirs)
        for i in range(len(old_dirs) - 1, -1, -1):
            alphas[i] = float(old_stps[i] @ q) * ro[i]
            _add_scaled(q, q.dtype.type(-alphas[i]), old_dirs[i])
        q *= h_diag
        for i in range(len(old_dirs)):
            beta = float(old_dirs[i] @ q) * ro[i]
            _add_scaled(q, q.dtype.type(alphas[i] - beta), old_stps[i])
        return q

    # -------------------------------------------------------------------- state_dict
    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: the whole state under the first parameter's index (copies)."""
        (group,) = self.param_groups
        saved_group = {k: v for k, v in group.items() if k != "params"}
        saved_group["params"] = list(range(len(group["params"])))
        entry = {}
        for key, value in self.state[self._first].items():
            if isinstance(value, np.ndarray):
                value = value.copy()
            elif isinstance(value, list):
                value = [v.copy() if isinstance(v, np.ndarray) else v for v in value]
            entry[key] = value
        return {"state": {0: entry}, "param_groups": [saved_group]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and the L-BFGS memory; on a mismatch raise, change nothing."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError("an optimizer state_dict is a dict with 'state' and 'param_groups'")
        saved = state_dict["state"]
        entry = saved.get(0, saved.get("0", {})) if isinstance(saved, dict) else None
        if not isinstance(entry, dict):
            raise ValueError("LBFGS state must be a dict holding the first parameter's entry")
        n = self._buffer.data.size
        dtype = self._buffer.dtype
        new = {"func_evals": int(entry.get("func_evals", 0)), "n_iter": int(entry.get("n_iter", 0))}
        for key in ("d", "prev_flat_grad"):
            if entry.get(key) is not None:
                new[key] = self._vector(key, entry[key], n, dtype)
        for key in ("old_dirs", "old_stps"):
            if key in entry:
                new[key] = [self._vector(key, v, n, dtype) for v in entry[key]]
        if len(new.get("old_dirs", [])) != len(new.get("old_stps", [])):
            raise ValueError("LBFGS state: old_dirs and old_stps must have the same length")
        if "ro" in entry:
            new["ro"] = [float(np.asarray(v.data if isinstance(v, Tensor) else v))
                         for v in entry["ro"]]  # fmt: skip
        for key in ("t", "H_diag", "prev_loss"):
            if entry.get(key) is not None:
                value = entry[key]
                new[key] = float(np.asarray(value.data if isinstance(value, Tensor) else value))
        # the base checks the groups and restores the hyperparameters; no per-tensor state
        super().load_state_dict({"state": {}, "param_groups": state_dict["param_groups"]})
        self.state = {self._first: new}

    @staticmethod
    def _vector(key: str, value: Any, n: int, dtype: np.dtype) -> np.ndarray:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.shape != (n,):
            raise ValueError(
                f"LBFGS state '{key}' has shape {array.shape} but the parameters form a "
                f"vector of {n} elements"
            )
        return array.astype(dtype, copy=True)
