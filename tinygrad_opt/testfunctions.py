"""Two-dimensional test functions for watching optimizers move (`tinygrad-opt race`).

Each function is written with plain arithmetic operators only, so the same formula runs on
Tensors (gradients then come from autograd) and on numpy arrays (for contour plots).

- rosenbrock: (1 - x)^2 + 100 (y - x^2)^2; a curved, flat-bottomed valley; minimum 0 at (1, 1).
  Rosenbrock, "An automatic method for finding the greatest or least value of a function",
  The Computer Journal 3(3), 1960.
- beale: (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; flat plateaus and
  sharp ridges; minimum 0 at (3, 0.5).
- saddle: x^2 + y^4 / 4 - y^2; a saddle point at the origin between two minima of -1 at
  (0, +-sqrt 2). Started almost on the ridge line y = 0, an optimizer must break the symmetry
  to leave the saddle (plain gradient descent crawls away from it).
- ravine: x^2 / 20 + 5 y^2; a narrow valley (condition number 100) with its minimum 0 at the
  origin; gradient descent zig-zags across it, momentum rolls along it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def rosenbrock(x, y):
    """Rosenbrock's banana function (a=1, b=100)."""
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def beale(x, y):
    """Beale's function."""
    return (
        (1.5 - x + x * y) ** 2
        + (2.25 - x + x * y * y) ** 2
        + (2.625 - x + x * y * y * y) ** 2
    )


def saddle(x, y):
    """A saddle at the origin between two minima at (0, +-sqrt 2)."""
    return x * x + 0.25 * y**4 - y * y


def ravine(x, y):
    """An axis-aligned narrow valley, 100 times steeper across than along."""
    return 0.05 * x * x + 5.0 * y * y


@dataclass(frozen=True)
class TestFunction:
    """A 2-D function with its minima, a start point and a plotting window."""

    name: str
    fn: Callable
    minima: tuple[tuple[float, float], ...]
    min_value: float
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    tolerance: float  # distance to the nearest minimum that counts as "reached"
    description: str

    __test__ = False  # not a pytest test class despite its name

    def __call__(self, x, y):
        return self.fn(x, y)

    def distance_to_minimum(self, x: float, y: float) -> float:
        """Euclidean distance from (x, y) to the nearest minimum."""
        return min(math.hypot(x - mx, y - my) for mx, my in self.minima)

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(X, Y, Z) on an n-by-n grid over the plotting window, in float64."""
        xs = np.linspace(*self.xlim, n)
        ys = np.linspace(*self.ylim, n)
        grid_x, grid_y = np.meshgrid(xs, ys)
        return grid_x, grid_y, self.fn(grid_x, grid_y)


FUNCTIONS: dict[str, TestFunction] = {
    "rosenbrock": TestFunction(
        "rosenbrock", rosenbrock, ((1.0, 1.0),), 0.0, (-1.5, 2.0),
        (-2.0, 2.0), (-1.0, 3.0), 0.05, "curved flat valley, minimum at (1, 1)",
    ),
    "beale": TestFunction(
        "beale", beale, ((3.0, 0.5),), 0.0, (0.7, 1.4),
        (-1.0, 4.0), (-1.5, 2.0), 0.05, "plateaus and ridges, minimum at (3, 0.5)",
    ),
    "saddle": TestFunction(
        "saddle", saddle, ((0.0, math.sqrt(2.0)), (0.0, -math.sqrt(2.0))), -1.0, (-1.5, 1e-3),
        (-2.0, 2.0), (-2.0, 2.0), 0.05, "saddle at the origin, minima at (0, +-1.41)",
    ),
    "ravine": TestFunction(
        "ravine", ravine, ((0.0, 0.0),), 0.0, (-9.0, 1.0),
        (-10.0, 2.0), (-1.5, 1.5), 0.05, "narrow valley (condition number 100), minimum at 0",
    ),
}


def get(name: str) -> TestFunction:
    """The test function called `name` (see FUNCTIONS)."""
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown test function {name!r}; expected one of {', '.join(FUNCTIONS)}"
        ) from None
