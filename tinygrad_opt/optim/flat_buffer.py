"""Flat contiguous storage for one parameter group of one dtype: params, grads and state.

Every parameter of the group is copied into one 1-D `data` array and its `.data` rebound to
a view of it; its `_grad_storage` is the matching view of one 1-D `grad` array, so the
autograd engine writes gradients straight into the buffer. Each state buffer (exp_avg, ...)
is one more 1-D array with its own offsets, since a state entry need not have the
parameter's shape (Adafactor keeps row and column statistics). A slice of a flat buffer
over consecutive parameters is contiguous, so one kernel call updates a whole run of them.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor

# FlatBuffer by id() of its grad array, so gradient clipping finds where a grad view sits in
# O(1) (asking numpy for a view's address costs ~1 us a tensor); entries die with the buffer
_BY_GRAD_ARRAY: weakref.WeakValueDictionary[int, FlatBuffer] = weakref.WeakValueDictionary()

_data_of = operator.attrgetter("data")
_grad_of = operator.attrgetter("grad")
ShapeFn = Callable[[str, tuple[int, ...]], tuple[int, ...]]


def _offsets(sizes: Sequence[int]) -> np.ndarray:
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(np.asarray(sizes, dtype=np.int64), out=offsets[1:])
    return offsets


class FlatBuffer:
    """Parameters of one dtype from one group, with their gradients and optimizer state.

    Attributes: `params` (the Tensors, in group order), `dtype`, `data`/`grad` (1-D arrays),
    `offsets` (int64, len n+1: parameter i is `data[offsets[i]:offsets[i+1]]`), `shapes`,
    `steps` (int64 per parameter: updates applied, PyTorch's state['step']), `state`
    (name -> 1-D array), `state_offsets` and `state_shapes` (name -> per-parameter layout).
    """

    def __init__(self, params: Sequence[Tensor], dtype: np.dtype) -> None:
        self.params = list(params)
        self.dtype = np.dtype(dtype)
        self.shapes = [tuple(p.data.shape) for p in self.params]
        self.offsets = _offsets([p.data.size for p in self.params])
        total = int(self.offsets[-1])
        self.data = np.empty(total, dtype=self.dtype)
        self.grad = np.zeros(total, dtype=self.dtype)
        self.data_views: list[np.ndarray] = []
        self.grad_views: list[np.ndarray] = []
        for i, p in enumerate(self.params):
            lo, hi = self.offsets[i], self.offsets[i + 1]
            data_view = self.data[lo:hi].reshape(self.shapes[i])
            grad_view = self.grad[lo:hi].reshape(self.shapes[i])
            np.copyto(data_view, p.data)
            self.data_views.append(data_view)
            self.grad_views.append(grad_view)
        self.grad_index = {id(view): i for i, view in enumerate(self.grad_views)}
        self.offset_list = [int(o) for o in self.offsets]
        _BY_GRAD_ARRAY[id(self.grad)] = self
        self.steps = np.zeros(len(self.params), dtype=np.int64)
        self.state: dict[str, np.ndarray] = {}
        self.state_offsets: dict[str, np.ndarray] = {}
        self.state_shapes: dict[str, list[tuple[int, ...]]] = {}
        self.state_views: dict[str, list[np.ndarray]] = {}

    def bind(self) -> None:
        """Point every parameter's `.data`, `.grad` and `_grad_storage` into the buffers."""
        for i, p in enumerate(self.params):
            if p.grad is not None:
                np.copyto(self.grad_views[i], p.grad)
                p.grad = self.grad_views[i]
            p.data = self.data_views[i]
            p._grad_storage = self.grad_views[i]

    def add_state(self, name: str, initial: float, shape_of: ShapeFn) -> None:
        """Allocate state buffer `name` filled with `initial` (no-op if it exists)."""
        if name in self.state:
            return
        shapes = [tuple(shape_of(name, s)) for s in self.shapes]
        offsets = _offsets([int(np.prod(s, dtype=np.int64)) for s in shapes])
        buffer = np.full(int(offsets[-1]), initial, dtype=self.dtype)
        self.state[name] = buffer
        self.state_offsets[name] = offsets
        self.state_shapes[name] = shapes
        self.state_views[name] = [
            buffer[offsets[i] : offsets[i + 1]].reshape(shapes[i]) for i in range(len(shapes))
        ]

    def step_view(self, i: int) -> np.ndarray:
        """Parameter i's step count as a writable 0-d view."""
        return self.steps[i : i + 1].reshape(())

    # ------------------------------------------------------------------ step-time sync
    def sync(self) -> list[bool] | None:
        """Adopt user-rebound `.data`/`.grad` arrays; return which parameters have a grad.

        Returns None when every parameter has its gradient in the buffer already (the
        common case, checked at C speed so a thousand tensors cost microseconds).
        """
        params = self.params
        if not all(map(operator.is_, map(_data_of, params), self.data_views)):
            for i, p in enumerate(params):
                if p.data is not self.data_views[i]:
                    self._adopt(i, p.data, "data")
                    p.data = self.data_views[i]
        if all(map(operator.is_, map(_grad_of, params), self.grad_views)):
            return None
        active = []
        for i, p in enumerate(params):
            grad = p.grad
            if grad is None:
                active.append(False)
                continue
            if grad is not self.grad_views[i]:
                self._adopt(i, grad, "grad")
                p.grad = self.grad_views[i]
                p._grad_storage = self.grad_views[i]
            active.append(True)
        return active

    def _adopt(self, i: int, array, what: str) -> None:
        array = np.asarray(array)
        if array.shape != self.shapes[i]:
            raise RuntimeError(
                f"parameter {i} of a group had its .{what} replaced by an array of shape "
                f"{array.shape}, but the optimizer holds it with shape {self.shapes[i]}; "
                "assign an array of the same shape (or build a new optimizer)"
            )
        view = self.data_views[i] if what == "data" else self.grad_views[i]
        np.copyto(view, array, casting="same_kind")

    def runs(self, active: Sequence[bool] | None) -> list[Run]:
        """Maximal runs of consecutive active parameters (None: all) with equal steps."""
        n = len(self.params)
        steps = self.steps
        if active is None and (n == 0 or steps.min() == steps.max()):
            return [self._run(0, n)] if n else []
        if active is None:
            active = [True] * n
        runs: list[Run] = []
        i = 0
        while i < n:
            if not active[i]:
                i += 1
                continue
            j = i + 1
            while j < n and active[j] and steps[j] == steps[i]:
                j += 1
            runs.append(self._run(i, j))
            i = j
        return runs

    def _run(self, first: int, last: int) -> Run:
        lo, hi = int(self.offsets[first]), int(self.offsets[last])
        state = {}
        for name, buffer in self.state.items():
            offsets = self.state_offsets[name]
            state[name] = buffer[offsets[first] : offsets[last]]
        return Run(
            buffer=self,
            first=first,
            last=last,
            param=self.data[lo:hi],
            grad=self.grad[lo:hi],
            state=state,
            step=int(self.steps[first]) + 1,
        )


@dataclass
class Run:
    """Consecutive parameters `first..last-1` of a FlatBuffer that are updated together.

    `param`, `grad` and each `state[name]` are contiguous 1-D slices; `step` is the step
    number this update makes (PyTorch's `t`, starting at 1). Use `scalar(x)` to pass a
    hyperparameter in the buffer's dtype, so a kernel is compiled once per dtype.
    """

    buffer: FlatBuffer
    first: int
    last: int
    param: np.ndarray
    grad: np.ndarray
    state: dict[str, np.ndarray] = field(default_factory=dict)
    step: int = 1

    @property
    def dtype(self) -> np.dtype:
        return self.buffer.dtype

    def scalar(self, value: float):
        return self.buffer.dtype.type(value)

    def offsets(self, name: str | None = None) -> np.ndarray:
        """Per-parameter start offsets within this run's slices (len = count + 1)."""
        full = self.buffer.offsets if name is None else self.buffer.state_offsets[name]
        return full[self.first : self.last + 1] - full[self.first]

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        return self.buffer.shapes[self.first : self.last]


def grad_view_position(grad: np.ndarray) -> tuple[FlatBuffer, int] | None:
    """(buffer, parameter index) if `grad` is a live FlatBuffer's grad view, else None."""
    base = grad.base
    if base is None:
        return None
    buffer = _BY_GRAD_ARRAY.get(id(base))
    if buffer is None or buffer.grad is not base:
        return None
    i = buffer.grad_index.get(id(grad))
    if i is None or buffer.grad_views[i] is not grad:
        return None
    return buffer, i
