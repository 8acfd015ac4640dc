"""The 2-D test functions, the race loop and the CLI's option parsing, checked in-process."""

import math

import numpy as np
import pytest

from tinygrad_opt import Tensor, testfunctions
from tinygrad_opt.cli import race
from tinygrad_opt.cli.common import CLIError, format_table, parse_key_values, parse_optimizer_spec

FUNCTIONS = list(testfunctions.FUNCTIONS.values())


def autograd_gradient(function, x: float, y: float) -> np.ndarray:
    point = Tensor(np.array([x, y], dtype=np.float64), requires_grad=True)
    function(point[0], point[1]).backward()
    return point.grad


def finite_difference(function, x: float, y: float, h: float = 1e-6) -> np.ndarray:
    fx = (function(x + h, y) - function(x - h, y)) / (2 * h)
    fy = (function(x, y + h) - function(x, y - h)) / (2 * h)
    return np.array([fx, fy])


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_autograd_gradient_matches_finite_differences(function):
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.uniform(*function.xlim)
        y = rng.uniform(*function.ylim)
        np.testing.assert_allclose(autograd_gradient(function, x, y),
                                   finite_difference(function, x, y), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_listed_minima_are_the_lowest_points(function):
    for mx, my in function.minima:
        assert function(mx, my) == pytest.approx(function.min_value, abs=1e-12)
        np.testing.assert_allclose(finite_difference(function, mx, my), 0.0, atol=1e-6)
    _, _, values = function.grid(201)
    assert values.min() >= function.min_value - 1e-9
    # the start point is not already at the minimum, or the race would be empty
    assert function.distance_to_minimum(*function.start) > 10 * function.tolerance


def test_unknown_function_names_the_choices():
    with pytest.raises(ValueError, match="rosenbrock"):
        testfunctions.get("himmelblau")


def test_sgd_race_matches_plain_gradient_descent_with_the_analytic_gradient():
    function = testfunctions.get("ravine")
    lr = 0.15
    result = race.race_one(function, parse_optimizer_spec(f"sgd:lr={lr}"), 50, 0.05)
    # ravine = x^2 / 20 + 5 y^2, so the gradient is (x / 10, 10 y)
    point = np.array(function.start, dtype=np.float32)
    expected = [point.copy()]
    for _ in range(50):
        grad = np.array([point[0] / 10, 10 * point[1]], dtype=np.float32)
        point = (point - np.float32(lr) * grad).astype(np.float32)
        expected.append(point.copy())
    np.testing.assert_allclose(result.path, np.array(expected), rtol=1e-5, atol=1e-6)
    distances = [function.distance_to_minimum(*p) for p in expected]
    first = next((i for i, d in enumerate(distances) if d <= 0.05), None)
    assert result.steps_to_min == first


def test_race_reports_not_reached_and_divergence():
    function = testfunctions.get("rosenbrock")
    slow = race.race_one(function, parse_optimizer_spec("sgd:lr=1e-5"), 20, 0.05)
    assert slow.steps_to_min is None and not slow.diverged
    exploding = race.race_one(function, parse_optimizer_spec("sgd:lr=1.0"), 50, 0.05)
    assert exploding.diverged
    table = race.results_table({"rosenbrock": [slow, exploding]})
    assert "not reached" in table and "diverged" in table


def test_optimizer_specs_parse_aliases_and_literal_values():
    spec = parse_optimizer_spec("adam:lr=3e-3,betas=(0.9,0.99),amsgrad=true")
    assert (spec.name, spec.key) == ("adam", "adam")
    assert spec.hyperparameters == {"lr": 3e-3, "betas": (0.9, 0.99), "amsgrad": True}
    momentum = parse_optimizer_spec("sgd+momentum")
    assert (momentum.name, momentum.label, momentum.hyperparameters) == (
        "sgd", "sgd+momentum", {"momentum": 0.9})
    assert parse_optimizer_spec("nesterov:lr=0.1").hyperparameters == {
        "momentum": 0.9, "nesterov": True, "lr": 0.1}
    with pytest.raises(CLIError, match="KEY=VALUE"):
        parse_optimizer_spec("adam:lr")
    with pytest.raises(CLIError, match="KEY=VALUE"):
        parse_key_values(["=3"])


def test_table_columns_line_up():
    table = format_table(["name", "value"], [["a", 1.5], ["longer name", math.nan]])
    lines = table.splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[2].startswith("| a ") and lines[3].endswith("nan |")

