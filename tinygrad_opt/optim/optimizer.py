"""The optimizer base class: parameter groups, flat buffers, state_dict, skip_nonfinite.

Semantics follow torch.optim.Optimizer: `params` is an iterable of Tensors, of
`(name, Tensor)` pairs (from `model.named_parameters()`; names are then kept as
`param_names` in each group and checked by `load_state_dict`), or of dicts (parameter
groups with their own hyperparameters). `state[p]` is a dict per parameter and
`state_dict()` keys state by parameter index, with groups listing indices.

Differences from PyTorch, all by design:
- All state is allocated when the optimizer (or a group) is built, so `state_dict()` is
  complete before the first step (steps are 0 and buffers hold their initial values).
- Each group's parameters, gradients and state live in flat contiguous buffers (one per
  dtype; see flat_buffer.py): `p.data` and `p.grad` become views into them, and one Numba
  kernel call updates a whole run of parameters. Rebinding `p.data` or assigning a new
  array to `p.grad` still works: the array is copied into the buffer at the next step.
- `state[p]['step']` is a 0-d int64 view and `state_dict()` stores it as a Python int.
- `state_dict()` returns copies, so it is a snapshot (PyTorch returns references).
- A parameter listed twice in a group is an error (PyTorch only warns).
- State an option adds (momentum_buffer, max_exp_avg_sq, ...) is made for the whole group
  when the option is set and, as in PyTorch, kept when it is switched off; so state_dict()
  then lists it, as zeros, also for parameters that never stepped with it (PyTorch: absent).
- Parameters join only through `add_param_group`: editing `param_groups` in place (a
  tensor appended to a group's 'params', a group deleted or replaced) raises RuntimeError
  at the next step, since the flat buffers cannot follow (PyTorch picks the change up).

How to add an optimizer (see adam.py for a complete example):

    @register("myopt")
    class MyOpt(Optimizer):
        '''One sentence. The update rule as pseudocode. Paper, defaults, deviations.'''

        def __init__(self, params, lr=1e-3, beta=0.9, *, maximize=False,
                     skip_nonfinite=False):
            super().__init__(params, dict(lr=lr, beta=beta, maximize=maximize),
                             skip_nonfinite=skip_nonfinite)

        def _check_group(self, group):          # every group, at build and add_param_group
            check_number("lr", group["lr"], low=0.0)
            check_number("beta", group["beta"], low=0.0, high=1.0, high_open=True)

        def _state_init(self, group):            # state name -> initial value, in order
            return {"buf": 0.0}

        def _update(self, group, run):           # one kernel call per run
            _myopt_kernel(run.param, run.grad, run.state["buf"],
                          run.scalar(group["lr"]), run.scalar(group["beta"]), ...)

`run.param`, `run.grad` and `run.state[name]` are contiguous 1-D slices over consecutive
parameters with the same step count; `run.step` is PyTorch's t (1 on the first update);
`run.scalar(x)` casts a hyperparameter to the buffer's dtype so the kernel compiles once
per dtype. Runs smaller than parallel.PARALLEL_MIN_SIZE are updated on one thread (the base
class arranges it; kernels just use `prange`). State whose shape is not the parameter's
(Adafactor) overrides `_state_shape(name, shape)`; per-tensor reductions (LAMB, LARS) use
`run.offsets()` (parameter starts within the run's slices), `run.offsets(name)` (the same
for a state buffer) and `run.shapes`. An optimizer that needs the whole model at once
(LBFGS) overrides `step()` and walks `self.flat_buffers()`, calling `buffer.sync()` first.

Hooks (`register_step_pre_hook` and the others, as torch.optim's) live in hooks.py; every
subclass's `step`, `state_dict` and `load_state_dict` is wrapped to run them.
"""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import sparse_rows
from ..grad_mode import enable_grad
from ..ops.utility import RemovableHandle
from ..tensor import Tensor
from .flat_buffer import FlatBuffer, Run
from .grad_kernels import count_nonfinite
from .hooks import (
    HOOK_TABLES,
    WRAPPERS,
    add_hook,
    with_load_state_dict_hooks,
    with_state_dict_hooks,
    with_step_hooks,
)
from .hooks import register_optimizer_step_post_hook as register_optimizer_step_post_hook
from .hooks import register_optimizer_step_pre_hook as register_optimizer_step_pre_hook
from .parallel import PARALLEL_MIN_SIZE, single_thread


class _RequiredParameter:
    """Marks a default that every parameter group must set (PyTorch's `required`)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


# ----------------------------------------------------------------------- validation
def check_number(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise unless `value` is a real number in the interval; the message names all three."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: {value!r}; expected a real number")
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if below or above or math.isnan(value):
        left = "<" if low_open else "<="
        right = "<" if high_open else "<="
        raise ValueError(f"Invalid {name}: {value}; expected {low} {left} {name} {right} {high}")


def check_betas(betas: Any, name: str = "betas") -> None:
    """Two coefficients, each in [0, 1): PyTorch's 'Invalid beta parameter at index i'."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"Invalid {name}: {betas!r}; expected a pair (beta1, beta2)")
    for i, beta in enumerate(betas):
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
            raise TypeError(f"Invalid beta parameter at index {i}: {beta!r}; expected a number")
        if not 0.0 <= beta < 1.0:
            raise ValueError(
                f"Invalid beta parameter at index {i}: {beta}; expected 0 <= beta < 1"
            )


def _is_named(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)


# ----------------------------------------------------------------------- base class
class Optimizer:
    """Base class for all optimizers (PyTorch's torch.optim.Optimizer interface).

    `Optimizer(params, defaults, *, skip_nonfinite=False)`: `defaults` maps hyperparameter
    names to the values groups get unless they set their own. With `skip_nonfinite=True`, a
    step whose gradients hold NaN or Inf changes nothing and `skipped_steps` counts it.
    """

    # State some options add (momentum, amsgrad, ...). As in PyTorch, it stays once made: an
    # option switched off mid-run keeps its buffer, which state_dict saves and a later switch
    # back on resumes, so load_state_dict accepts it whatever the loaded options say.
    _optional_state: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # as PyTorch patches every subclass's step: a subclass's own step, state_dict or
        # load_state_dict runs the hooks too (the wrapper skips them in nested super() calls)
        super().__init_subclass__(**kwargs)
        for name, wrap in WRAPPERS.items():
            method = cls.__dict__.get(name)
            if callable(method):
                setattr(cls, name, wrap(method))

    def __init__(
        self, params: Iterable[Any], defaults: dict[str, Any], *, skip_nonfinite: bool = False
    ) -> None:
        for table in HOOK_TABLES:
            setattr(self, table, OrderedDict())
        self._hooks_running: set[str] = set()
        if not isinstance(skip_nonfinite, bool):
            raise TypeError(f"skip_nonfinite must be a bool, got {skip_nonfinite!r}")
        self.defaults = dict(defaults)
        self.skip_nonfinite = skip_nonfinite
        self.skipped_steps = 0
        self.param_groups: list[dict[str, Any]] = []
        # a defaultdict as PyTorch's, so `state[p]` of a foreign tensor is {} rather than KeyError
        self.state: defaultdict[Tensor, dict[str, np.ndarray]] = defaultdict(dict)
        self._group_buffers: list[list[FlatBuffer]] = []
        self._group_params: list[tuple[list[Tensor], int]] = []  # each group's list, its length
        self._slot: dict[Tensor, tuple[FlatBuffer, int]] = {}

        groups = self._split_into_groups(params)
        prepared: list[dict[str, Any]] = []
        seen: set[int] = set()
        for group in groups:  # validate everything before touching any parameter
            prepared.append(self._prepare_group(group, seen, prepared))
        for group in prepared:
            self._install_group(group)

    # ------------------------------------------------------------- subclass interface
    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate a group's hyperparameters (ValueError naming parameter, value, range)."""

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        """State buffer names this group needs, in state_dict order, with initial values."""
        return {}

    def _state_shape(self, name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of state `name` for a parameter of `shape` (the same shape by default)."""
        return shape

    def _update(self, group: dict[str, Any], run: Run) -> None:
        """Apply the update rule in place to one run of parameters (one kernel call)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ------------------------------------------------------------------ construction
    @staticmethod
    def _split_into_groups(params: Any) -> list[dict[str, Any]]:
        if isinstance(params, Tensor):
            raise TypeError(
                "params should be an iterable of Tensors or dicts, but got a Tensor; "
                "pass [tensor] or model.parameters()"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "params should be an ordered iterable (a list, or model.parameters()); a set "
                "has no stable order, so the state_dict would pair state with the wrong tensor"
            )
        if isinstance(params, dict):
            raise TypeError("params should be an iterable of dicts; wrap the group: [group]")
        try:
            items = list(params)
        except TypeError:
            raise TypeError(
                f"params should be an iterable of Tensors or dicts, got {type(params).__name__}"
            ) from None
        if not items:
            raise ValueError("optimizer got an empty parameter list")
        if all(isinstance(item, dict) for item in items):
            return items
        if any(isinstance(item, dict) for item in items):
            raise TypeError("params mixes dicts (parameter groups) with tensors; use one kind")
        return [{"params": items}]

    def _prepare_group(
        self, group: Any, seen: set[int], others: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A validated copy of `group` with defaults filled in; `seen` collects param ids."""
        if not isinstance(group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(group).__name__}")
        if "params" not in group:
            raise ValueError("a parameter group must have a 'params' entry")
        raw = group["params"]
        if isinstance(raw, Tensor):
            raw = [raw]
        elif isinstance(raw, (set, frozenset)):
            raise TypeError(
                "a parameter group's 'params' must be ordered (a list), not a set: a set's "
                "order changes between runs, so a saved state would pair with the wrong tensor"
            )
        else:
            raw = list(raw)
        names = group.get("param_names")
        if raw and all(_is_named(item) for item in raw):
            if names is not None:
                raise ValueError("give parameter names either as (name, tensor) pairs or as "
                                 "'param_names', not both")
            names = [name for name, _ in raw]
            raw = [tensor for _, tensor in raw]
        elif any(_is_named(item) for item in raw):
            raise TypeError("params mixes (name, tensor) pairs with bare tensors; use one kind")
        if names is not None:
            names = list(names)
            if len(names) != len(raw) or not all(isinstance(n, str) for n in names):
                raise ValueError(
                    f"'param_names' must list one string per parameter ({len(raw)}), "
                    f"got {names!r}"
                )
        local: set[int] = set()
        for i, p in enumerate(raw):
            label = repr(names[i]) if names is not None else f"at position {i}"
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but parameter {label} is "
                    f"{type(p).__name__}"
                )
            if p.data.dtype not in (np.float32, np.float64):
                raise TypeError(
                    f"optimizer can only optimize float32 or float64 tensors, but parameter "
                    f"{label} has dtype {p.data.dtype}"
                )
            if p.grad is not None and np.shape(p.grad) != p.data.shape:
                raise ValueError(
                    f"parameter {label} has shape {p.data.shape} but its .grad has shape "
                    f"{np.shape(p.grad)}"
                )
            if getattr(type(p), "_is_uninitialized", False):  # nn.lazy's placeholders
                raise ValueError(
                    f"parameter {label} is an uninitialized parameter of a lazy module: run "
                    "the model on one batch first, then build the optimizer"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (parameter {label}); optimize the "
                    "leaf it was computed from, or detach() it and set requires_grad"
                )
            if id(p) in local:
                raise ValueError(f"parameter {label} appears twice in one parameter group")
            if id(p) in seen or p in self._slot:
                raise ValueError(
                    f"some parameters appear in more than one parameter group (parameter "
                    f"{label})"
                )
            local.add(id(p))
        prepared = {k: v for k, v in group.items() if k not in ("params", "param_names")}
        prepared["params"] = raw
        if names is not None:
            prepared["param_names"] = names
        for key, default in self.defaults.items():
            if key in prepared:
                continue
            if default is required:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization "
                    f"parameter {key}"
                )
            prepared[key] = default
        existing = [g for g in self.param_groups + others if g["params"]]
        if raw and existing and any(("param_names" in g) != (names is not None) for g in existing):
            raise ValueError(
                "all parameter groups must be named (built from named_parameters()) or none"
            )
        self._check_group(prepared)
        seen.update(local)
        return prepared

    def _install_group(self, group: dict[str, Any]) -> None:
        by_dtype: dict[np.dtype, list[Tensor]] = {}
        for p in group["params"]:
            by_dtype.setdefault(p.data.dtype, []).append(p)
        buffers = [FlatBuffer(params, dtype) for dtype, params in by_dtype.items()]
        spec = self._state_init(group)
        for buffer in buffers:
            buffer.bind()
            for name, initial in spec.items():
                buffer.add_state(name, initial, self._state_shape)
            for i, p in enumerate(buffer.params):
                self._slot[p] = (buffer, i)
            self._refresh_state_views(buffer)
        self.param_groups.append(group)
        self._group_buffers.append(buffers)
        self._group_params.append((group["params"], len(group["params"])))

    def _check_groups_unchanged(self) -> None:
        """Raise if param_groups was edited in a way the flat buffers cannot follow."""
        groups = self.param_groups
        if len(groups) == len(self._group_params) and all(
            group.get("params") is params and len(params) == n
            for group, (params, n) in zip(groups, self._group_params)
        ):
            return
        raise RuntimeError(
            "optimizer.param_groups was edited in place (a group added, removed or replaced, "
            "or a tensor added to or removed from a group's 'params'); this optimizer keeps "
            "its parameters in flat buffers built with the groups, so add parameters with "
            "add_param_group() and build a new optimizer to drop some"
        )

    def _refresh_state_views(self, buffer: FlatBuffer) -> None:
        for i, p in enumerate(buffer.params):
            entry = {"step": buffer.step_view(i)}
            for name, views in buffer.state_views.items():
                entry[name] = views[i]
            self.state[p] = entry

    def _ensure_state(self, group: dict[str, Any], buffers: list[FlatBuffer]) -> None:
        """Allocate state a changed option now needs (e.g. momentum set after building)."""
        spec = self._state_init(group)
        for buffer in buffers:
            missing = [name for name in spec if name not in buffer.state]
            for name in missing:
                buffer.add_state(name, spec[name], self._state_shape)
            if missing:
                self._refresh_state_views(buffer)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (a dict with 'params' and optional hyperparameters)."""
        group = self._prepare_group(param_group, set(), [])
        self._install_group(group)

    def flat_buffers(self) -> list[FlatBuffer]:
        """Every FlatBuffer, group by group (one per dtype within a group)."""
        return [buffer for buffers in self._group_buffers for buffer in buffers]

    # ------------------------------------------------------------------------- step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: to None (default), or to zeros in the flat buffer."""
        for buffer in self.flat_buffers():
            sparse_rows.clear(buffer.params, set_to_none)
            if set_to_none:
                for p in buffer.params:
                    p.grad = None
                continue
            for i, p in enumerate(buffer.params):
                if p.grad is not None and p.grad is not buffer.grad_views[i]:
                    p.grad = buffer.grad_views[i]
            buffer.grad.fill(0)

    def _check_gradients(self) -> None:
        """Refuse gradients this rule cannot take, before anything changes (SparseAdam
        refuses dense ones); every gradient is fine by default."""

    @with_step_hooks
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns closure's loss."""
        self._check_groups_unchanged()
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._check_gradients()
        work: list[tuple[dict[str, Any], Run]] = []
        for group, buffers in zip(self.param_groups, self._group_buffers):
            self._ensure_state(group, buffers)
            for buffer in buffers:
                active = buffer.sync()
                work.extend((group, run) for run in buffer.runs(active))
        small = [item for item in work if item[1].param.size < PARALLEL_MIN_SIZE]
        large = [item for item in work if item[1].param.size >= PARALLEL_MIN_SIZE]
        if self.skip_nonfinite and self._any_nonfinite(small, large):
            self.skipped_steps += 1
            return loss
        if small:
            with single_thread():  # see parallel.py: waking the pool costs more than it saves
                for group, run in small:
                    self._update(group, run)
                    run.buffer.steps[run.first : run.last] += 1
        for group, run in large:
            self._update(group, run)
            run.buffer.steps[run.first : run.last] += 1  # right after: exact if a later one raises
        return loss

    @staticmethod
    def _any_nonfinite(small: list[tuple[dict, Run]], large: list[tuple[dict, Run]]) -> bool:
        if small:
            with single_thread():
                if any(count_nonfinite(run.grad) for _, run in small):
                    return True
        return any(count_nonfinite(run.grad) for _, run in large)

    # ------------------------------------------------------------------- state_dict
    def _param_label(self, group_index: int, position: int) -> str:
        group = self.param_groups[group_index]
        p = group["params"][position]
        where = f"group {group_index}, position {position}, shape {tuple(p.data.shape)}"
        if "param_names" in group:
            return f"'{group['param_names'][position]}' ({where})"
        return f"({where})"

    @with_state_dict_hooks
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {'step': int, name: array}}, 'param_groups': [...]} (copies)."""
        self._check_groups_unchanged()
        state: dict[int, dict[str, Any]] = {}
        groups = []
        index = 0
        for group in self.param_groups:
            spec = self._state_init(group)
            indices = []
            for p in group["params"]:
                entry = self.state[p]
                saved: dict[str, Any] = {"step": int(entry["step"])}
                for name in spec:
                    saved[name] = entry[name].copy()
                for name in self._optional_state:  # kept from an option now switched off
                    if name not in spec and name in entry:
                        saved[name] = entry[name].copy()
                state[index] = saved
                indices.append(index)
                index += 1
            saved_group = {k: v for k, v in group.items() if k != "params"}
            saved_group["params"] = indices
            groups.append(saved_group)
        return {"state": state, "param_groups": groups}

    @with_load_state_dict_hooks
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore state and hyperparameters; on any mismatch raise and change nothing."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError("an optimizer state_dict is a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        saved_state = state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, dict):
            raise ValueError("state_dict['param_groups'] must be a list, ['state'] a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups but the "
                f"optimizer has {len(self.param_groups)}"
            )
        new_groups: list[dict[str, Any]] = []
        staged: list[tuple[Tensor, int, dict[str, np.ndarray | None], dict[str, float]]] = []
        for g, (ours, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"loaded parameter group {g} is not a dict with 'params'")
            indices = list(saved["params"])
            if len(indices) != len(ours["params"]):
                raise ValueError(
                    f"loaded parameter group {g} has {len(indices)} parameters but the "
                    f"optimizer's group {g} has {len(ours['params'])}"
                )
            saved_names = saved.get("param_names")
            our_names = ours.get("param_names")
            if saved_names is not None and our_names is not None:
                for j, (a, b) in enumerate(zip(our_names, saved_names)):
                    if a != b:
                        raise ValueError(
                            f"parameter {j} of group {g} is '{a}' in the optimizer but '{b}' "
                            "in the loaded state dict; the model changed (or its parameters "
                            "are in a different order)"
                        )
            # keys the saved group lacks (an older format) keep their current values
            group = {k: v for k, v in ours.items() if k not in ("params", "param_names")}
            group.update((k, v) for k, v in saved.items() if k not in ("params", "param_names"))
            group["params"] = ours["params"]
            if our_names is not None:
                group["param_names"] = our_names
            self._check_group(group)
            spec = self._state_init(group)
            for j, (p, index) in enumerate(zip(ours["params"], indices)):
                entry = saved_state.get(index, saved_state.get(str(index)))
                staged.append((*self._stage_param_state(g, j, p, entry, spec), spec))
            new_groups.append(group)
        # everything checked: now apply
        for ours, group in zip(self.param_groups, new_groups):
            ours.clear()
            ours.update(group)
        for ours, buffers in zip(self.param_groups, self._group_buffers):
            self._ensure_state(ours, buffers)
        for p, step, arrays, spec in staged:
            buffer, i = self._slot[p]
            buffer.steps[i] = step
            for name, value in arrays.items():
                if name not in buffer.state:  # optional state the loaded options do not use
                    buffer.add_state(name, 0.0, self._state_shape)
                    self._refresh_state_views(buffer)
                view = buffer.state_views[name][i]
                if value is None:
                    view.fill(spec[name])
                else:
                    np.copyto(view, value, casting="unsafe")
            for name in self._optional_state:  # kept here, absent from the loaded state
                if name in buffer.state and name not in arrays:
                    buffer.state_views[name][i].fill(0.0)

    def _stage_param_state(
        self, g: int, j: int, p: Tensor, entry: Any, spec: dict[str, float]
    ) -> tuple[Tensor, int, dict[str, np.ndarray | None]]:
        arrays: dict[str, np.ndarray | None] = {name: None for name in spec}
        if entry is None:
            return p, 0, arrays
        if not isinstance(entry, dict):
            raise ValueError(f"state of parameter {self._param_label(g, j)} is not a dict")
        for key, value in entry.items():
            if key == "step" or value is None:
                continue
            if key not in spec and key not in self._optional_state:
                raise ValueError(
                    f"state of parameter {self._param_label(g, j)} has entry '{key}', which "
                    f"{type(self).__name__} with these options does not keep "
                    f"(it keeps {list(spec)}); was it saved by another optimizer?"
                )
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            expected = tuple(self._state_shape(key, tuple(p.data.shape)))
            if array.shape != expected:
                raise ValueError(
                    f"state '{key}' of parameter {self._param_label(g, j)} has shape "
                    f"{array.shape} in the loaded state dict but {expected} here"
                )
            if array.dtype.kind not in "fiu":
                raise TypeError(f"state '{key}' of parameter {self._param_label(g, j)} is "
                                f"{array.dtype}, expected a floating-point array")
            arrays[key] = array
        step = entry.get("step")
        if step is None:
            # torch's SGD keeps no step: any saved buffer means at least one update happened
            step = 1 if any(a is not None for a in arrays.values()) else 0
        try:
            step = int(np.asarray(step.data if isinstance(step, Tensor) else step))
        except (TypeError, ValueError):
            raise ValueError(
                f"step of parameter {self._param_label(g, j)} is {step!r}; expected an integer"
            ) from None
        if step < 0:
            raise ValueError(f"step of parameter {self._param_label(g, j)} is negative: {step}")
        return p, step, arrays

    # ------------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Run `hook(optimizer, args, kwargs)` before each step; a non-None result
        `(new_args, new_kwargs)` replaces the step's arguments (args start with self)."""
        return add_hook(self._optimizer_step_pre_hooks, hook, False, "register_step_pre_hook")

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Run `hook(optimizer, args, kwargs)` after each step."""
        return add_hook(self._optimizer_step_post_hooks, hook, False, "register_step_post_hook")

    def register_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Run `hook(optimizer)` before `state_dict()` builds the state dict."""
        table = self._optimizer_state_dict_pre_hooks
        return add_hook(table, hook, prepend, "register_state_dict_pre_hook")

    def register_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Run `hook(optimizer, state_dict)` on the new state dict; a non-None result
        replaces it."""
        table = self._optimizer_state_dict_post_hooks
        return add_hook(table, hook, prepend, "register_state_dict_post_hook")

    def register_load_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Run `hook(optimizer, state_dict)` on a shallow copy of the dict being loaded; a
        non-None result is loaded instead."""
        table = self._optimizer_load_state_dict_pre_hooks
        return add_hook(table, hook, prepend, "register_load_state_dict_pre_hook")

    def register_load_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Run `hook(optimizer)` after `load_state_dict()` has loaded."""
        table = self._optimizer_load_state_dict_post_hooks
        return add_hook(table, hook, prepend, "register_load_state_dict_post_hook")

    def __getstate__(self) -> dict[str, Any]:
        # a copy or pickle made while a hook runs (a snapshot taken in a step post-hook)
        # must not inherit the marks of the calls in progress: its own hooks would be
        # skipped as if nested, for good
        state = self.__dict__.copy()
        state["_hooks_running"] = set()
        return state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k not in ("params", "param_names")):
                lines.append(f"    {key}: {group[key]}")
        if self.skip_nonfinite:
            lines.append(f"skip_nonfinite: True (skipped_steps: {self.skipped_steps})")
        lines.append(")")
        return "\n".join(lines)
