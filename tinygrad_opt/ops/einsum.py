"""einsum: numpy's np.einsum forward; the gradient of each operand is the einsum of the
output's gradient with the other operands, written to that operand's subscripts.

Three cases need more than one einsum: an operand index summed only inside that operand
(`'ij->i'`: its gradient is broadcast along j), a repeated index (`'ii->'`, a trace or a
diagonal: the gradient is written onto the diagonal of a zero array), and `...` dimensions
of size 1 that broadcast against other operands (summed back by the engine's unbroadcast).
"""

from __future__ import annotations

import string

import numpy as np

from ..tensor import Tensor, unbroadcast

_ELLIPSIS_LETTERS = string.ascii_uppercase  # '...' dimensions get the unused ones


def _parse(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Explicit subscripts without '...' (one letter per dimension) and the output's."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs, rhs = eq, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the equation names {len(terms)} operands but {len(shapes)} were given"
        )
    ell_ndim = 0
    for term, shape in zip(terms, shapes):
        letters = term.replace("...", "")
        if not all(c in string.ascii_letters for c in letters) or term.count("...") > 1:
            raise ValueError(f"einsum: invalid subscripts {term!r} in {equation!r}")
        if "..." in term:
            ell_ndim = max(ell_ndim, len(shape) - len(letters))
        elif len(letters) != len(shape):
            raise ValueError(
                f"einsum: subscripts {term!r} name {len(letters)} dimensions but the operand "
                f"has shape {shape}"
            )
    # '...' takes upper-case letters the equation does not use
    ell = "".join(c for c in _ELLIPSIS_LETTERS if c not in eq)[:ell_ndim]
    subs = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            n = len(shape) - len(term.replace("...", ""))
            if n < 0:
                raise ValueError(f"einsum: subscripts {term!r} have more letters than dims {shape}")
            term = term.replace("...", ell[ell_ndim - n:] if n else "")
        subs.append(term)
    if rhs is None:
        counts = {c: "".join(subs).count(c) for c in set("".join(subs))}
        rhs = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return subs, rhs


def _letter_sizes(subs: list[str], shapes) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for term, shape in zip(subs, shapes):
        for c, n in zip(term, shape):
            if sizes.get(c, 1) == 1:  # size 1 broadcasts against any size, 0 included
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise ValueError(
                    f"einsum: index {c!r} has sizes {sizes[c]} and {n} in different operands"
                )
    return sizes


def _grad_for(i: int, g: np.ndarray, arrays, subs: list[str], rhs: str, sizes) -> np.ndarray:
    term = subs[i]
    unique = "".join(dict.fromkeys(term))
    available = set(rhs) | {c for j, t in enumerate(subs) if j != i for c in t}
    produced = "".join(c for c in unique if c in available)
    others = [a for j, a in enumerate(arrays) if j != i]
    other_subs = [t for j, t in enumerate(subs) if j != i]
    grad = np.einsum(",".join([rhs, *other_subs]) + "->" + produced, g, *others, optimize=True)
    # letters only this operand sums over: the gradient is constant along them
    shape_u = tuple(sizes[c] for c in unique)
    grad = np.broadcast_to(
        np.expand_dims(grad, tuple(k for k, c in enumerate(unique) if c not in available))
        if len(produced) < len(unique) else grad,
        shape_u,
    )
    if len(unique) < len(term):  # repeated letters: only the diagonal gets the gradient
        full = np.zeros(tuple(sizes[c] for c in term), dtype=grad.dtype)
        ranges = {c: np.arange(sizes[c]).reshape(
            tuple(-1 if k == pos else 1 for k in range(len(unique))))
            for pos, c in enumerate(unique)}
        full[tuple(ranges[c] for c in term)] = grad
        grad = full
    return unbroadcast(grad, arrays[i].shape) if grad.shape != arrays[i].shape else grad


def einsum(equation: str, *operands) -> Tensor:
    """torch.einsum(equation, *operands) (operands may also be one list); '...' broadcasts,
    an omitted '->' gives the alphabetical implicit output. Operands are promoted to one
    dtype as `+` does."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string, got {type(equation).__name__}")
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in operands]
    if not tensors:
        raise ValueError("einsum: needs at least one operand")
    dtype = np.result_type(*[t.data.dtype for t in tensors])
    if any(t.data.dtype.kind == "f" for t in tensors):
        dtype = np.result_type(*[t.data.dtype for t in tensors if t.data.dtype.kind == "f"])
    arrays = [t.data.astype(dtype, copy=False) for t in tensors]
    subs, rhs = _parse(equation, [a.shape for a in arrays])
    sizes = _letter_sizes(subs, [a.shape for a in arrays])
    if len(set(rhs)) != len(rhs) or any(c not in sizes for c in rhs):
        raise ValueError(f"einsum: invalid output subscripts in {equation!r}")
    expr = ",".join(subs) + "->" + rhs
    out = np.asarray(np.einsum(expr, *arrays, optimize=len(arrays) > 2))
    need = [t.requires_grad for t in tensors]

    def backward(g):
        return tuple(
            _grad_for(i, g, arrays, subs, rhs, sizes) if need[i] else None
            for i in range(len(arrays))
        )

    return Tensor.make(out, tuple(tensors), backward)
