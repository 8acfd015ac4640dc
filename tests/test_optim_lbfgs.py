"""L-BFGS: minima of a quadratic and of Rosenbrock, the two-loop direction against a dense
BFGS matrix, PyTorch's closure protocol, state_dict, and errors; closure call by closure call
against a plain-numpy torch.optim.LBFGS (lbfgs_reference.py), the strong-Wolfe zoom trial by
trial, its branches on scripted lines, and the cases where it once departed from PyTorch."""

import numpy as np
import pytest
from lbfgs_reference import cubic_minimizer
from lbfgs_reference import run as reference_run
from optim_reference_b2 import bfgs_direction, rosenbrock, rosenbrock_grad

from tinygrad_opt import Tensor
from tinygrad_opt.optim import LBFGS, Adam, create

LINE_SEARCHES = [None, "strong_wolfe"]


def quadratic(n=12, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    hessian = a @ a.T / n + np.eye(n)
    b = rng.normal(size=n)
    return hessian, b, np.linalg.solve(hessian, b)


def quadratic_closure(opt, x, hessian, b, calls=None):
    def closure():
        opt.zero_grad()
        x.grad = hessian @ x.data - b
        if calls is not None:
            calls.append(1)
        return 0.5 * x.data @ hessian @ x.data - b @ x.data

    return closure


@pytest.mark.parametrize("line_search_fn", LINE_SEARCHES)
def test_reaches_the_minimum_of_a_quadratic(line_search_fn):
    hessian, b, solution = quadratic()
    x = Tensor(np.zeros(12), requires_grad=True)
    opt = LBFGS([x], max_iter=50, line_search_fn=line_search_fn, tolerance_change=1e-14)
    closure = quadratic_closure(opt, x, hessian, b)
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.data, solution, atol=1e-6)


@pytest.mark.parametrize("line_search_fn, lr", [(None, 0.1), ("strong_wolfe", 1.0)])
def test_reaches_the_minimum_of_rosenbrock(line_search_fn, lr):
    p = Tensor(np.array([-1.5, 2.0]), requires_grad=True)
    opt = LBFGS([p], lr=lr, max_iter=200, history_size=10, line_search_fn=line_search_fn)

    def closure():
        p.grad = rosenbrock_grad(p.data)
        return rosenbrock(p.data)

    for _ in range(5):
        opt.step(closure)
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=1e-3)


def test_strong_wolfe_needs_fewer_evaluations_on_rosenbrock():
    evals = {}
    for line_search_fn, lr in [(None, 0.1), ("strong_wolfe", 1.0)]:
        p = Tensor(np.array([-1.5, 2.0]), requires_grad=True)
        opt = LBFGS([p], lr=lr, max_iter=500, max_eval=2000, line_search_fn=line_search_fn)

        def closure(p=p):
            p.grad = rosenbrock_grad(p.data)
            return rosenbrock(p.data)

        opt.step(closure)
        assert rosenbrock(p.data) < 1e-8
        evals[line_search_fn] = opt.state[p]["func_evals"]
    assert evals["strong_wolfe"] < evals[None]


@pytest.mark.parametrize("history_size", [100, 3])
def test_two_loop_direction_equals_the_dense_bfgs_matrix(history_size):
    """The stored direction d was computed from prev_flat_grad and the stored pairs; the
    explicit BFGS recursion over the same pairs, started at H0 = gamma I with the standard
    L-BFGS scaling gamma = s.y / y.y of the newest pair (as PyTorch), gives the same vector."""
    hessian, b, _ = quadratic(n=8, seed=1)
    x = Tensor(np.zeros(8), requires_grad=True)
    opt = LBFGS([x], lr=0.5, max_iter=7, history_size=history_size)
    opt.step(quadratic_closure(opt, x, hessian, b))
    state = opt.state[x]
    assert len(state["old_dirs"]) == min(history_size, 6)
    s, y = state["old_stps"][-1], state["old_dirs"][-1]
    gamma = float(s @ y) / float(y @ y)
    expected = bfgs_direction(state["prev_flat_grad"], state["old_stps"], state["old_dirs"],
                              gamma)  # fmt: skip
    np.testing.assert_allclose(state["d"], expected, rtol=1e-9, atol=1e-12)


def test_works_through_autograd_and_treats_missing_grads_as_zero():
    rng = np.random.default_rng(2)
    x_data = rng.normal(size=(30, 4))
    y_data = x_data @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.5
    w = Tensor(np.zeros(4), requires_grad=True)
    bias = Tensor(np.zeros(1), requires_grad=True)
    unused = Tensor(np.array([7.0, 8.0]), requires_grad=True)
    opt = LBFGS([w, bias, unused], line_search_fn="strong_wolfe", max_iter=50)
    features, targets = Tensor(x_data), Tensor(y_data)

    def closure():
        opt.zero_grad()
        loss = ((features @ w + bias - targets) ** 2).mean()
        loss.backward()
        return loss

    first = opt.step(closure)
    assert isinstance(first, Tensor)  # the first closure's return value, as PyTorch
    np.testing.assert_allclose(first.item(), np.mean((y_data) ** 2))
    np.testing.assert_allclose(w.data, [1.0, -2.0, 0.5, 3.0], atol=1e-4)
    np.testing.assert_allclose(bias.data, [0.5], atol=1e-4)
    np.testing.assert_array_equal(unused.data, [7.0, 8.0])


@pytest.mark.parametrize("line_search_fn, lr", [(None, 0.1), ("strong_wolfe", 1.0)])
def test_autograd_closure_whose_grads_all_land_in_the_flat_buffer(line_search_fn, lr):
    # Every parameter gets its gradient through backward(), straight into the optimizer's
    # buffer: the common case, which once crashed (sync() reports it as None).
    p = Tensor(np.array([-1.5, 2.0]), requires_grad=True)
    opt = LBFGS([p], lr=lr, max_iter=200, history_size=10, line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        x, y = p[0], p[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        loss.backward()
        return loss

    first = opt.step(closure)
    np.testing.assert_allclose(first.item(), rosenbrock(np.array([-1.5, 2.0])))
    for _ in range(4):
        opt.step(closure)
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=1e-3)


def test_max_eval_bounds_closure_calls_per_step():
    hessian, b, _ = quadratic()
    x = Tensor(np.zeros(12), requires_grad=True)
    opt = LBFGS([x], lr=0.01, max_iter=100, max_eval=9)
    calls = []
    opt.step(quadratic_closure(opt, x, hessian, b, calls))
    assert len(calls) == 9 == opt.state[x]["func_evals"]


def test_stops_at_once_when_the_gradient_is_already_small():
    x = Tensor(np.ones(3), requires_grad=True)
    opt = LBFGS([x])
    calls = []
    before = x.data.copy()

    def closure():
        calls.append(1)
        x.grad = np.full(3, 1e-9)
        return 0.0

    opt.step(closure)
    assert len(calls) == 1
    np.testing.assert_array_equal(x.data, before)


@pytest.mark.parametrize("line_search_fn", LINE_SEARCHES)
def test_state_dict_round_trip_then_more_steps_is_bit_identical(line_search_fn):
    hessian, b, _ = quadratic(seed=3)
    x = Tensor(np.zeros(12), requires_grad=True)
    opt = LBFGS([x], lr=0.5, max_iter=4, history_size=3, line_search_fn=line_search_fn)
    opt.step(quadratic_closure(opt, x, hessian, b))
    saved = opt.state_dict()
    assert list(saved["state"]) == [0] and saved["state"][0]["n_iter"] == 4
    y = Tensor(x.data.copy(), requires_grad=True)
    fresh = LBFGS([y], lr=0.5, max_iter=4, history_size=3, line_search_fn=line_search_fn)
    fresh.load_state_dict(saved)
    for _ in range(2):
        opt.step(quadratic_closure(opt, x, hessian, b))
        fresh.step(quadratic_closure(fresh, y, hessian, b))
    np.testing.assert_array_equal(x.data, y.data)
    np.testing.assert_array_equal(opt.state[x]["d"], fresh.state[y]["d"])
    assert opt.state[x]["n_iter"] == fresh.state[y]["n_iter"]


def test_bad_state_dict_changes_nothing():
    x = Tensor(np.zeros(3), requires_grad=True)
    opt = LBFGS([x])
    opt.step(lambda: (setattr(x, "grad", x.data - 1.0), 0.0)[1])
    before = opt.state_dict()
    broken = opt.state_dict()
    broken["state"][0]["d"] = np.zeros(5)
    with pytest.raises(ValueError, match="'d'"):
        opt.load_state_dict(broken)
    np.testing.assert_array_equal(opt.state[x]["d"], before["state"][0]["d"])


def test_create_and_skip_nonfinite():
    x = Tensor(np.ones(2), requires_grad=True)
    opt = create("lbfgs", [x], skip_nonfinite=True)
    opt.step(lambda: (setattr(x, "grad", np.array([np.nan, 1.0])), 1.0)[1])
    assert opt.skipped_steps == 1
    np.testing.assert_array_equal(x.data, [1.0, 1.0])


def test_float32_parameters_stay_float32():
    hessian, b, solution = quadratic(n=6)
    x = Tensor(np.zeros(6, dtype=np.float32), requires_grad=True)
    opt = LBFGS([x], line_search_fn="strong_wolfe", max_iter=30)

    def closure():
        x.grad = (hessian @ x.data - b).astype(np.float32)
        return float(0.5 * x.data @ hessian @ x.data - b @ x.data)

    opt.step(closure)
    assert x.data.dtype == np.float32
    np.testing.assert_allclose(x.data, solution, atol=1e-3)


def test_errors():
    p = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        LBFGS([p]).step()
    q = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        LBFGS([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="parameter groups"):
        LBFGS([p]).add_param_group({"params": [q]})
    r = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="dtype"):
        LBFGS([q, r])
    with pytest.raises(ValueError, match="line_search_fn"):
        LBFGS([q], line_search_fn="armijo")
    with pytest.raises(ValueError, match="history_size"):
        LBFGS([q], history_size=0)
    with pytest.raises(TypeError, match="max_iter"):
        LBFGS([q], max_iter=2.5)
    assert isinstance(Adam([r]), Adam)  # r was left usable by the failed constructor


def test_first_iteration_without_line_search_is_a_scaled_gradient_step():
    """Iteration 1: d = -g, t = min(1, 1 / ||g||_1) * lr, so x1 = x0 - t g."""
    x = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    opt = LBFGS([x], lr=0.7, max_iter=1)

    def closure():
        x.grad = np.array([4.0, -1.0, 0.5])
        return 1.0

    opt.step(closure)
    t = min(1.0, 1.0 / 5.5) * 0.7
    np.testing.assert_allclose(x.data, [1.0 - 4.0 * t, -2.0 + t, 0.5 - 0.5 * t], rtol=1e-14)
    assert opt.state[x]["t"] == t and opt.state[x]["func_evals"] == 1


def _delta_cubic(delta=5e-5):
    """phi(0) = 0, phi'(0) = -1; at t = 1 the slope is 0 and phi(1) = -delta, a decrease
    smaller than c1 * t * |phi'(0)| = 1e-4: curvature holds there, sufficient decrease not."""
    a, b = 2.0 - 3.0 * delta, -1.0 + 2.0 * delta
    return (lambda t: -t + a * t * t + b * t**3), (lambda t: -1.0 + 2 * a * t + 3 * b * t * t)


def _line_problems():
    square = (lambda x: float(x @ x)), (lambda x: 2.0 * x)
    cubic_f, cubic_g = _delta_cubic()
    cubic = (lambda x: cubic_f(x[0])), (lambda x: np.array([cubic_g(x[0])]))
    rosen = rosenbrock, rosenbrock_grad
    start = np.array([-1.5, 2.0])
    rosen_d = -rosenbrock_grad(start) / np.linalg.norm(rosenbrock_grad(start))
    problems = [(square, np.array([-1.0]), np.array([1.0]), t)
                for t in (1e-3, 0.01, 0.5, 1.0, 1.95, 1.9999, 5.0, 40.0)]
    problems += [(cubic, np.array([0.0]), np.array([1.0]), t) for t in (1.0, 0.05, 0.7)]
    problems += [(rosen, start, rosen_d, t) for t in (1e-3, 0.1, 1.0, 3.0)]
    return problems


@pytest.mark.parametrize("case", range(len(_line_problems())))
def test_strong_wolfe_returns_a_point_meeting_both_conditions(case):
    """Nocedal & Wright (3.7): f(x + t d) <= f(x) + c1 t g.d and |g(x + t d).d| <= c2 |g.d|
    with PyTorch's c1 = 1e-4, c2 = 0.9, checked by evaluating the returned point again."""
    from tinygrad_opt.optim.lbfgs import strong_wolfe

    (f, grad), x0, d, t0 = _line_problems()[case]
    loss0, g0 = f(x0), grad(x0)
    gtd0 = float(g0 @ d)
    assert gtd0 < 0
    loss, g, t, evals = strong_wolfe(lambda s: (f(x0 + s * d), grad(x0 + s * d)), t0, d,
                                     loss0, g0)  # fmt: skip
    assert 1 <= evals <= 25 and t > 0
    np.testing.assert_allclose(loss, f(x0 + t * d), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g, grad(x0 + t * d), rtol=1e-12, atol=1e-15)
    assert loss <= loss0 + 1e-4 * t * gtd0
    assert abs(float(g @ d)) <= 0.9 * abs(gtd0)


def test_strong_wolfe_accepts_an_acceptable_first_trial_at_once():
    """Algorithm 3.5 (and PyTorch) stop at the first trial step meeting both conditions:
    on x^2 from -1 along +1, t = 1.5 gives slope 1 <= 0.9 * 2 and loss 0.25 <= 1 - 3e-4."""
    from tinygrad_opt.optim.lbfgs import strong_wolfe

    calls = []

    def evaluate(s):
        calls.append(s)
        x = -1.0 + s
        return x * x, np.array([2.0 * x])

    loss, g, t, evals = strong_wolfe(evaluate, 1.5, np.array([1.0]), 1.0, np.array([-2.0]))
    assert (t, evals, calls) == (1.5, 1, [1.5])
    assert loss == 0.25 and g[0] == 1.0


# ---------------------------------------------------------------- PyTorch's algorithm
# lbfgs_reference.py is torch.optim.LBFGS (2.13) in plain numpy: the optimizer must make the
# same closure calls, at the same points, and end in the same state. The cases below drive the
# strong-Wolfe search through extrapolation ("bracket") and the zoom (several trials per
# search); each asserts that its reference run really had that many.


def _rosen(x):
    return rosenbrock(x), rosenbrock_grad(x)


def _quartic(x):
    a = np.arange(1.0, x.size + 1)
    return float(a @ x**4 + 0.5 * x @ x - x.sum()), 4 * a * x**3 + x - 1


def _wiggle(x):
    """Nonconvex (y.s < 0 happens): sum sin(3x) + 0.1 x^2."""
    return float(np.sum(np.sin(3 * x) + 0.1 * x * x)), 3 * np.cos(3 * x) + 0.2 * x


def _run(fun, x0, steps, **hp):
    """`steps` LBFGS.step calls on fun(x) -> (loss, grad); the points of all closure calls."""
    x = Tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    opt = LBFGS([x], **hp)
    points = []

    def closure():
        loss, grad = fun(x.data.copy())
        points.append(x.data.copy())
        x.grad = np.array(grad, dtype=np.float64)
        return loss

    firsts = [opt.step(closure) for _ in range(steps)]
    return x.data.copy(), opt.state[x], points, firsts


def _sharp_kink(x):
    """|x - 5| (rounded off over 1e-15): the zoom narrows in on the kink for many trials."""
    r = np.sqrt(1e-30 + (x[0] - 5.0) ** 2)
    return r, np.array([(x[0] - 5.0) / r])


def _stiff(x):
    """Curvatures 1e4, 3e4 and 1 (plus x^4): steps |t d| below tolerance_change while the loss
    still changes by more."""
    a = np.array([1e4, 3e4, 1.0])
    return 0.5 * float(a @ x**2) + float(np.sum(x**4)), a * x + 4 * x**3


def _quadratic_problem(x):
    hessian, b, _ = quadratic()
    return 0.5 * x @ hessian @ x - b @ x, hessian @ x - b


SW = "strong_wolfe"
# name: (function, start, steps, hyperparameters, least zoom trials, least extrapolations)
TORCH_CASES = {
    "rosenbrock-lr3": (_rosen, [1.1, -2.6], 2, dict(line_search_fn=SW, lr=3.0, max_iter=60), 18,
                       1),
    "rosenbrock-lr10": (_rosen, [-1.6, -0.4], 2, dict(line_search_fn=SW, lr=10.0, max_iter=10),
                        10, 1),
    "rosenbrock-converges": (_rosen, [-1.5, 2.0], 3,
                             dict(line_search_fn=SW, max_iter=100, max_eval=200), 8, 0),
    "rosenbrock-max-eval": (_rosen, [-1.5, 2.0], 3, dict(line_search_fn=SW, max_eval=6), 2, 0),
    "rosenbrock-far": (_rosen, [-3.0, -4.0], 3, dict(line_search_fn=SW, max_iter=50), 4, 2),
    "rosenbrock-small-lr": (_rosen, [-1.4, 1.8], 2, dict(line_search_fn=SW, lr=0.05, max_iter=30),
                            2, 30),
    "wiggle-4d": (_wiggle, [1.4, 3.0, 0.6, -2.5], 2, dict(line_search_fn=SW, lr=3.0, max_iter=60),
                  8, 0),
    "wiggle-small-lr": (_wiggle, [-0.2, -1.5, -0.4], 2,
                        dict(line_search_fn=SW, lr=0.01, max_iter=30), 0, 30),
    "quartic-lr5": (_quartic, [2.0, -1.5, 1.0], 2, dict(line_search_fn=SW, lr=5.0, max_iter=25),
                    5, 0),
    "quartic-3d": (_quartic, [-0.4, -0.7, 1.1], 2, dict(line_search_fn=SW, lr=3.0, max_iter=60),
                   6, 0),
    "quartic-small-lr": (_quartic, [1.3, -0.4, 0.2], 2,
                         dict(line_search_fn=SW, lr=0.01, max_iter=30), 0, 30),
    "sharp-kink-long-zoom": (_sharp_kink, [0.0], 1, dict(line_search_fn=SW, lr=100.0), 20, 0),
    "sharp-kink-zoom-to-budget": (_sharp_kink, [0.0], 1, dict(line_search_fn=SW, lr=1e6), 24, 0),
    "quadratic-to-tolerance-grad": (_quadratic_problem, np.zeros(12), 1,
                                    dict(line_search_fn=SW, max_iter=50, tolerance_change=1e-14),
                                    0, 0),
    "quartic-to-tolerance-grad": (_quartic, [1.0, 2.0, -1.0], 1,
                                  dict(line_search_fn=SW, max_iter=50, tolerance_change=0.0), 0,
                                  0),
    "fixed-step-wiggle": (_wiggle, [0.3, 1.7, -2.2], 2, dict(lr=0.5, max_iter=30, history_size=2),
                          0, 0),
    "fixed-step-stiff-step-size-stop": (_stiff, [-1.3, -0.1, 1.1], 2,
                                        dict(lr=0.3, max_iter=100, max_eval=500,
                                             tolerance_change=1e-3), 0, 0),
    "fixed-step-quadratic": (_quadratic_problem, np.zeros(12), 3,
                             dict(lr=0.3, max_iter=15, history_size=4), 0, 0),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_closure_calls_and_state_match_the_torch_reference(case):
    fun, x0, steps, hp, least_zooms, least_extrapolations = TORCH_CASES[case]
    x, state, points, firsts = _run(fun, x0, steps, **hp)
    ref_x, ref_state, calls, ref_firsts = reference_run(fun, x0, steps, **hp)
    phases = [phase for _, phase in calls]
    assert phases.count("zoom") >= least_zooms
    assert phases.count("bracket") >= least_extrapolations
    assert len(points) == len(calls), phases
    np.testing.assert_allclose(points, [point for point, _ in calls], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(x, ref_x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(firsts, ref_firsts, rtol=1e-12, atol=1e-15)
    for key in ("func_evals", "n_iter"):
        assert state[key] == ref_state[key], key
    np.testing.assert_allclose(state["t"], ref_state["t"], rtol=1e-9)
    np.testing.assert_allclose(state["prev_loss"], ref_state["prev_loss"], rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(state["H_diag"], ref_state["H_diag"], rtol=1e-6)
    for key in ("d", "prev_flat_grad"):  # near a minimum these are differences of rounded terms
        np.testing.assert_allclose(state[key], ref_state[key], rtol=1e-9, atol=1e-9, err_msg=key)
    for key in ("old_dirs", "old_stps", "ro"):
        assert len(state[key]) == len(ref_state[key]), key
        np.testing.assert_allclose(np.array(state[key]), np.array(ref_state[key]), rtol=1e-6,
                                   atol=1e-9, err_msg=key)  # fmt: skip


# ------------------------------------------------------------- the zoom, trial by trial
# Each line problem: (h(x) -> (loss, grad), x0, d, first trial t, tolerance_change[, budget]).
# Every first trial overshoots, so the search zooms at once; max|d| != 1 so that the bracket
# width counts along x (|b - a| * max|d|), as PyTorch's does. Those starting next to a minimum
# make the cubic land by a bracket end again and again (the 10% safeguard).
def _valley(x):
    r = np.sqrt(1e-4 + (x[0] - 3.0) ** 2)
    return r + 0.01 * x[0] ** 2, np.array([(x[0] - 3.0) / r + 0.02 * x[0]])


def _kink(x):
    """|x - 5| rounded off over 1e-6: |slope| > 0.9 except within ~2e-6 of 5."""
    r = np.sqrt(1e-12 + (x[0] - 5.0) ** 2)
    return r, np.array([(x[0] - 5.0) / r])


def _kink_2d(x):
    """The kink in x[0]; x[1] does not matter (its gradient is 0)."""
    loss, grad = _kink(x)
    return loss, np.array([grad[0], 0.0])


def _bump(x):
    """-x + 0.02 x^2 with a Gaussian bump of height 12.5 at 9.5: a nonconvex line."""
    t = x[0]
    e = 12.5 * np.exp(-2.0 * (t - 9.5) ** 2)
    return -t + 0.02 * t * t + e, np.array([-1.0 + 0.04 * t - 4.0 * e * (t - 9.5)])


def _steep_quartic(x):
    return (x[0] - 1.0) ** 4 + 0.01 * x[0], np.array([4.0 * (x[0] - 1.0) ** 3 + 0.01])


ZOOM_PROBLEMS = {
    "valley": (_valley, -2.0, 4.0, 250.0, 1e-9),
    "valley-near-minimum": (_valley, 2.99, 0.5, 200.0, 1e-9),
    "valley-short-d": (_valley, 2.9, 0.25, 4000.0, 1e-9),
    "valley-next-to-minimum": (_valley, 2.999, 1.0, 100.0, 1e-9),
    "valley-next-to-minimum-long-d": (_valley, 2.999, 5.0, 2.0, 1e-9),
    "valley-close-to-minimum": (_valley, 2.995, 1.0, 30.0, 1e-9),
    "kink": (_kink, 0.0, 0.5, 100.0, 1e-9),
    "kink-budget": (_kink, 0.0, 0.5, 100.0, 1e-9, 8),
    "kink-budget-long-d": (_kink, 0.0, 4.0, 20.0, 1e-9, 12),
    "kink-width": (_kink, 0.0, 4.0, 20.0, 1e-3),
    "kink-width-short-d": (_kink, 0.0, 0.25, 300.0, 1e-3),
    "kink-width-2d": (_kink_2d, [0.0, 1.0], [4.0, 3.0], 20.0, 1e-3),
    "bump": (_bump, 0.0, 2.0, 500.0, 1e-9),
    "bump-from-the-far-side": (_bump, 8.0, -1.0, 100.0, 1e-9),
    "steep-quartic": (_steep_quartic, -1.0, 0.25, 40.0, 1e-9),
    "steep-quartic-far": (_steep_quartic, -3.0, 0.1, 1000.0, 1e-9),
    "valley-past-minimum": (_valley, -2.0, 0.5, 14.0, 1e-9),
    "valley-just-past-minimum": (_valley, -2.0, 2.0, 3.0, 1e-9),
}


def _check_zoom(h, x0, d, t0, tolerance_change, max_evals=25):
    """Run strong_wolfe, then replay PyTorch's bracket rules over its trial points: every zoom
    trial lies strictly inside the bracket, is the cubic minimiser over the bracket unless
    that falls within 10% of an end (then it is moved: never two trials in a row that close),
    comes while the bracket is still wider than tolerance_change / max|d| and within the
    budget; the search stops at the first point meeting both Wolfe conditions, else at the
    budget or the width, returning the lower bracket end. Returns what the replay saw."""
    from tinygrad_opt.optim.lbfgs import strong_wolfe

    x0, d = np.atleast_1d(np.array(x0, dtype=float)), np.atleast_1d(np.array(d, dtype=float))
    d_max = float(np.max(np.abs(d)))
    trials = []

    def evaluate(t):
        loss, grad = h(x0 + t * d)
        trials.append((t, loss, float(grad @ d)))
        return loss, grad

    f0, g0 = h(x0)
    gtd0 = float(g0 @ d)
    loss, grad, t, evals = strong_wolfe(
        evaluate, t0, d, f0, g0, tolerance_change=tolerance_change, max_evals=max_evals
    )
    assert evals == len(trials) <= max_evals

    def armijo_fails(p):
        return p[1] > f0 + 1e-4 * p[0] * gtd0

    first = trials[0]
    assert first[0] == t0 and (armijo_fails(first) or first[2] >= -0.9 * gtd0)  # zoom at once
    ends = [(0.0, f0, gtd0), first]
    lo = 0 if ends[0][1] <= ends[1][1] else 1
    seen = dict.fromkeys(("cubic", "moved", "new high", "new low", "high := low"), 0)
    seen["first trial " + ("too far" if armijo_fails(first) else "past the minimum")] = 1
    near_before, accepted = False, None
    for trial in trials[1:]:
        assert accepted is None, "a trial after an acceptable point"
        left, right = sorted((ends[0][0], ends[1][0]))
        width = right - left
        assert width * d_max >= tolerance_change, "a trial in a bracket below tolerance"
        assert left < trial[0] < right, (left, trial[0], right)
        near = min(trial[0] - left, right - trial[0]) < 0.0999 * width
        assert not (near and near_before), "two trials in a row within 10% of an end"
        near_before = near
        cubic = cubic_minimizer(*ends[0], *ends[1])
        if min(cubic - left, right - cubic) > 0.1001 * width:
            assert trial[0] == pytest.approx(cubic, rel=1e-12, abs=1e-12 * width)
            seen["cubic"] += 1
        else:
            seen["moved"] += 1
        hi = 1 - lo
        if armijo_fails(trial) or trial[1] >= ends[lo][1]:
            ends[hi] = trial
            lo = 0 if ends[0][1] <= ends[1][1] else 1
            seen["new high"] += 1
        elif abs(trial[2]) <= -0.9 * gtd0:
            accepted = trial
        else:
            if trial[2] * (ends[hi][0] - ends[lo][0]) >= 0:
                ends[hi] = ends[lo]
                seen["high := low"] += 1
            ends[lo] = trial
            seen["new low"] += 1
    if accepted is None:
        width = abs(ends[1][0] - ends[0][0])
        assert evals == max_evals or width * d_max < tolerance_change
        seen["budget" if evals == max_evals else "width"] = 1
        accepted = ends[lo]
    assert (t, loss) == accepted[:2]
    assert float(grad @ d) == accepted[2]
    return seen


@pytest.mark.parametrize("name", sorted(ZOOM_PROBLEMS))
def test_strong_wolfe_zoom_trial_by_trial(name):
    seen = _check_zoom(*ZOOM_PROBLEMS[name])
    assert seen["cubic"] + seen["moved"] >= 1, seen  # the search zoomed


def test_the_zoom_problems_drive_every_branch():
    total = {}
    for problem in ZOOM_PROBLEMS.values():
        for key, count in _check_zoom(*problem).items():
            total[key] = total.get(key, 0) + count
    assert all(total.get(key, 0) >= 2 for key in (
        "cubic", "moved", "new high", "new low", "high := low", "budget", "width",
        "first trial too far", "first trial past the minimum")), total  # fmt: skip


def _scripted_search(script):
    """strong_wolfe from t = 1 on a line with phi(0) = 0, phi'(0) = -1 whose k-th trial gets
    (loss, slope) = script[k] whatever the step: pins the branch logic apart from the
    interpolation. Returns the accepted step and all trial steps."""
    from tinygrad_opt.optim.lbfgs import strong_wolfe

    steps = []

    def evaluate(t):
        loss, slope = script[len(steps)]
        steps.append(t)
        return loss, np.array([slope])

    _, _, t, evals = strong_wolfe(evaluate, 1.0, np.array([1.0]), 0.0, np.array([-1.0]))
    assert evals == len(steps)
    return t, steps


def test_bracketing_stops_at_a_third_trial_no_lower_than_the_second():
    """Trials 1 and 2 decrease (slope still -1: extrapolate); trial 3 only equals trial 2, so
    [t2, t3] brackets a minimum (Algorithm 3.5; torch checks f >= f_prev from there on)."""
    t, steps = _scripted_search([(-1.0, -1.0), (-2.0, -1.0), (-2.0, -1.0), (-3.0, 0.0)])
    assert len(steps) == 4 and steps[0] < steps[1] < steps[2]
    assert steps[1] < steps[3] < steps[2] and t == steps[3]


def test_a_zoom_trial_without_sufficient_decrease_is_never_accepted():
    """Trial 1 fails Armijo: bracket [0, 1]. Trial 2 is lower than phi(0) and flat (curvature
    met) but decreases less than c1 t |phi'(0)|: it only closes the bracket; trial 3 passes."""
    t, steps = _scripted_search([(1.0, 1.0), (-1e-9, 0.0), (-0.1, 0.0)])
    assert len(steps) == 3 and 0 < steps[2] < steps[1] < 1 and t == steps[2]


def test_a_zoom_trial_as_high_as_the_low_end_becomes_the_high_end():
    """Bracket [0, 1]; trial 2 (loss -1, slope -3) becomes the low end: [t2, 1]. Trial 3 only
    ties it (loss -1), so it is the new high end: trial 4 lies in (t2, t3), not (t3, 1)."""
    t, steps = _scripted_search([(1.0, 1.0), (-1.0, -3.0), (-1.0, -1.0), (-2.0, 0.0)])
    assert len(steps) == 4 and steps[1] < steps[2] < 1
    assert steps[1] < steps[3] < steps[2] and t == steps[3]


def test_a_first_trial_past_the_minimum_is_the_low_end():
    """Trial 1 decreases enough but climbs (slope 2): bracket [0, 1] whose low end is 1. Trial
    2 (loss -0.5, slope 1.5) lies between phi(1) and phi(0): the new high end, so trial 3
    lies in (t2, 1)."""
    t, steps = _scripted_search([(-1.0, 2.0), (-0.5, 1.5), (-2.0, 0.0)])
    assert len(steps) == 3 and 0 < steps[1] < steps[2] < 1 and t == steps[2]


@pytest.mark.parametrize("max_evals", [None, 5])
def test_extrapolation_stops_at_the_budget_with_its_lowest_point(max_evals):
    """phi(t) = -t + 1e-30 t^2 keeps slope ~ -1 for any step the search reaches: it
    extrapolates until the budget (26 evaluations by default: PyTorch's max_ls=25 trials
    after the first) and returns the last, lowest trial."""
    from tinygrad_opt.optim.lbfgs import strong_wolfe

    steps = []

    def evaluate(t):
        steps.append(t)
        return -t + 1e-30 * t * t, np.array([-1.0 + 2e-30 * t])

    budget = {} if max_evals is None else {"max_evals": max_evals}
    loss, _, t, evals = strong_wolfe(evaluate, 1.0, np.array([1.0]), 0.0, np.array([-1.0]),
                                     **budget)  # fmt: skip
    assert evals == len(steps) == (max_evals or 26)
    assert all(a < b for a, b in zip(steps, steps[1:]))
    assert t == steps[-1] and loss == -t + 1e-30 * t * t


# ------------------------------------------------- where the optimizer once departed from PyTorch
# Each case isolates one former departure from torch.optim.LBFGS (2.13; the reference
# reproduces torch's closure calls on all of them), each found by a mutation audit and fixed
# since: the case fails on the old behaviour described with it.
def _line_wall(x):
    """Exactly linear (slope -1) up to 3, then a parabola: cubic fits on the linear part have
    a zero denominator."""
    t = x[0]
    return (-t, np.array([-1.0])) if t <= 3 else (-t + 0.5 * (t - 3) ** 2, np.array([t - 4.0]))


def _almost_linear(x):
    return -x[0] + 1e-12 * x[0] ** 2, np.array([-1.0 + 2e-12 * x[0]])


def _vee(x):
    r = np.sqrt(1.6e-8 + (x[0] - 2.65) ** 2)
    return r + 0.009 * x[0] ** 2, np.array([(x[0] - 2.65) / r + 0.018 * x[0]])


# name: (function, start, steps, hyperparameters, closure calls torch 2.13 makes, old defect)
DEPARTURES = {
    "history-eviction": (_rosen, [-1.5, 2.0], 1, dict(lr=0.1, max_iter=18, history_size=3), 18,
        "with a full history, a pair rejected by y.s <= 1e-10 still evicts the oldest pair "
        "(torch shifts the history only when it stores a new pair)"),
    "history-eviction-strong-wolfe": (_wiggle, [0.3, 1.7, -2.2], 2,
        dict(line_search_fn=SW, lr=3.0, max_iter=30, history_size=2), 14,
        "the same eviction, on the strong-Wolfe path"),
    "zoom-safeguard": (_valley, [-2.0], 1,
        dict(line_search_fn=SW, lr=100.0, max_iter=2, max_eval=100), 12,
        "a zoom trial within 10% of a bracket end is moved to the middle at once; torch "
        "evaluates it, and only on the next such trial (or one at an end) moves it to 10% "
        "inside the nearest end"),
    "bracket-third-trial": (_bump, [0.0], 1, dict(line_search_fn=SW, max_iter=1, max_eval=100),
        8, "the bracketing phase stops on f >= f(previous trial) from the second trial on; "
        "torch (ls_iter > 1) from the third"),
    "cubic-zero-denominator": (_line_wall, [0.0], 1,
        dict(line_search_fn=SW, max_iter=1, max_eval=100), 4,
        "a cubic step with a zero denominator falls back to the middle of the bounds; torch "
        "gets an infinity, clamped to the upper bound (10 t when extrapolating)"),
    "line-search-budget": (_almost_linear, [0.0], 1,
        dict(line_search_fn=SW, max_iter=1, max_eval=10), 11,
        "the line search may make 25 closure calls whatever max_eval says; torch >= 2.6 "
        "passes max_ls = max_eval - calls so far (pytorch/pytorch#135026)"),
    "line-search-tolerance": (_vee, [0.0], 1,
        dict(line_search_fn=SW, lr=85.6, max_iter=1, max_eval=100, tolerance_change=1e-3), 12,
        "the zoom stops on the group's tolerance_change; torch's _strong_wolfe always uses "
        "its default 1e-9"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(DEPARTURES))
def test_former_departures_from_torch(name):
    fun, x0, steps, hp, torch_calls, _ = DEPARTURES[name]
    _, ref_state, calls, _ = reference_run(fun, x0, steps, **hp)
    assert len(calls) == torch_calls  # the reference is torch here (checked against 2.13)
    x, state, points, _ = _run(fun, x0, steps, **hp)
    assert len(state["old_dirs"]) == len(ref_state["old_dirs"])
    assert len(points) == len(calls)
    np.testing.assert_allclose(points, [point for point, _ in calls], rtol=1e-9, atol=1e-12)
    assert state["func_evals"] == ref_state["func_evals"]
