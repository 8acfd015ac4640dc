"""`gradcheck` (torch.autograd.gradcheck): the backward rules against finite differences.

For every output and every input that requires grad, the Jacobian from the engine (one
backward pass per output element) is compared with the central difference
(f(x + eps) - f(x - eps)) / (2 eps), one input element at a time, perturbing the input's
data in place and restoring it. They must agree as numpy.allclose(analytical, numerical,
rtol, atol); the analytical Jacobian is computed twice and the two must agree within
`nondet_tol` (a reentrant backward). Use float64 inputs: float32 ones warn, as PyTorch.

`gradgradcheck` checks second derivatives the same way: it gradchecks the map
(inputs, grad_outputs) -> autograd.grad(func(inputs), inputs, grad_outputs,
create_graph=True), so the create_graph rules (higher_order.py) meet finite differences of
the first-order gradients (the finite differences use the first-order backward, so a rule
is checked against independent values, not against itself).

Deviations from PyTorch 2.13: `check_forward_ad`, `check_batched_grad`
and `check_batched_forward_grad` raise NotImplementedError; `fast_mode=True` runs the full
(slow-mode) check; `check_undefined_grad` and `masked` are accepted and ignored (the engine
never passes undefined gradients to a backward rule); complex inputs are not supported.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .grad_mode import GRAD_MODE, enable_grad, no_grad
from .tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` when a check fails (with `raise_exception=True`)."""


def _outputs(result) -> tuple[Tensor, ...]:
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: the function's output {i} is a {type(o).__name__}; "
                            "it must return a Tensor or a tuple of Tensors")
    return tuple(outputs)


def _analytical(func, inputs, checked) -> list[list[np.ndarray]]:
    """J[i][j] of shape (outputs[i].size, inputs[checked[j]].size), from the engine."""
    from .autograd import grad  # imported here: autograd imports the modules it exports

    outputs = _outputs(func(*inputs))
    wrt = tuple(inputs[j] for j in checked)
    jac = []
    for out in outputs:
        blocks = [np.zeros((out.data.size, x.data.size)) for x in wrt]
        if out.requires_grad and out.data.dtype.kind == "f":
            seed = np.zeros(out.data.shape, dtype=out.data.dtype)
            flat = seed.reshape(-1)
            for k in range(out.data.size):  # one backward per output element
                flat[k] = 1
                grads = grad(out, wrt, grad_outputs=Tensor(seed, dtype=seed.dtype),
                             retain_graph=True, allow_unused=True)  # fmt: skip
                for b, g in zip(blocks, grads):
                    if g is not None:
                        b[k] = g.data.reshape(-1)
                flat[k] = 0
        jac.append(blocks)
    return jac


def _numerical(func, inputs, checked, eps: float) -> list[list[np.ndarray]]:
    """The same blocks by central differences in the inputs' own precision."""
    with no_grad():
        sizes = [o.data.size for o in _outputs(func(*inputs))]
        jac = [[np.zeros((n, inputs[j].data.size)) for j in checked] for n in sizes]
        for c, j in enumerate(checked):
            data = inputs[j].data
            for k in range(data.size):  # one input element at a time, as the definition
                index = np.unravel_index(k, data.shape)
                original = data[index].copy()
                data[index] = original + eps
                plus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(func(*inputs))]
                data[index] = original - eps
                minus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(func(*inputs))]
                data[index] = original
                for i, (p, m) in enumerate(zip(plus, minus)):
                    jac[i][c][:, k] = (p - m) / (2 * eps)
    return jac


def gradcheck(
    func: Callable,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """True if the engine's gradients of `func` at `inputs` (a Tensor or a sequence, the
    ones with requires_grad=True are checked) match finite differences (module docstring);
    otherwise raises GradcheckError, or returns False if `raise_exception=False`.
    `check_grad_dtypes=True` also checks that each gradient has its input's dtype."""
    del check_undefined_grad, fast_mode, masked
    for flag, name in ((check_forward_ad, "check_forward_ad"),
                       (check_batched_grad, "check_batched_grad"),
                       (check_batched_forward_grad, "check_batched_forward_grad")):  # fmt: skip
        if flag:
            raise NotImplementedError(f"gradcheck: {name}=True is not supported (no forward-mode "
                                      "AD or vmap); only the first-order backward check is")
    if not callable(func):
        raise TypeError(f"gradcheck: func must be callable, got {type(func).__name__}")
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for i in checked:
        if inputs[i].data.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point.",
                stacklevel=2,
            )
    if not check_backward_ad:
        return True

    def fail(message: str) -> bool:
        if raise_exception:
            raise GradcheckError(message)
        return False

    if check_grad_dtypes:
        from .autograd import grad

        outputs = _outputs(func(*inputs))
        for out in outputs:
            if out.requires_grad and out.data.size:
                wrt = tuple(inputs[j] for j in checked)
                grads = grad(out.sum(), wrt, allow_unused=True)
                for j, g in zip(checked, grads):
                    if g is not None and g.data.dtype != inputs[j].data.dtype:
                        return fail(f"Gradient has dtype mismatch: input {j} has dtype "
                                    f"{inputs[j].data.dtype} but its gradient {g.data.dtype}")
    analytical = _analytical(func, inputs, checked)
    again = _analytical(func, inputs, checked)
    for row, row_again in zip(analytical, again):
        for a, b in zip(row, row_again):
            if a.size and np.max(np.abs(a - b)) > nondet_tol:
                return fail(
                    "Backward is not reentrant, i.e., running backward with same input and "
                    "grad_output multiple times gives different values, although analytical "
                    f"gradient matches numerical gradient.The tolerance for nondeterminism was "
                    f"{nondet_tol}."
                )
    numerical = _numerical(func, inputs, checked, eps)
    for i, (a_row, n_row) in enumerate(zip(analytical, numerical)):
        for c, (a, n) in enumerate(zip(a_row, n_row)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                return fail(f"Jacobian mismatch for output {i} with respect to input "
                            f"{checked[c]},\nnumerical:{n}\nanalytical:{a}\n")
    return True


def gradgradcheck(
    func: Callable,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """True if the second derivatives of `func` at `inputs` match finite differences of its
    gradients (module docstring). `grad_outputs` (one per output) default to seeded
    standard-normal tensors of the outputs' shapes and dtypes that require grad, as
    PyTorch's random ones; they are checked too. `check_fwd_over_rev` raises
    NotImplementedError (no forward mode); `gen_non_contig_grad_outputs` is accepted and
    ignored (numpy arrays have no such layouts here)."""
    from .autograd import grad  # imported here: autograd imports this module

    del gen_non_contig_grad_outputs
    if check_fwd_over_rev:
        raise NotImplementedError("gradgradcheck: check_fwd_over_rev=True is not supported (no "
                                  "forward-mode AD)")
    if not check_rev_over_rev:
        return True
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor(rng.standard_normal(o.data.shape).astype(o.data.dtype), requires_grad=True)
            for o in _outputs(func(*inputs))
        )
    else:
        grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    count = len(inputs)

    def first_derivatives(*args):
        xs, seeds = args[:count], args[count:]
        # gradcheck's finite differences run under no_grad: there the gradients come from
        # the first-order backward, so a create_graph rule whose values are wrong (but
        # differentiate consistently) cannot agree with its own finite differences
        rules = GRAD_MODE.enabled
        with enable_grad():
            outputs = _outputs(func(*xs))
            wanted = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
            grads = grad(outputs, wanted, seeds, create_graph=rules, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
        raise_exception=raise_exception, nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad, fast_mode=fast_mode, masked=masked,
    )  # fmt: skip
