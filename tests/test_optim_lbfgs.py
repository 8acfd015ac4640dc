"""L-BFGS: minima of a quadratic and of Rosenbrock, the two-loop direction against a dense
BFGS matrix, PyTorch's closure protocol, state_dict, and errors."""

import numpy as np
import pytest
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
