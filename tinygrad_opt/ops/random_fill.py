"""Random in-place fills (`uniform_ normal_ random_ exponential_ geometric_ bernoulli_
cauchy_ log_normal_`) and the sampling functions `bernoulli multinomial normal
randint_like`, with PyTorch's distributions and defaults.

Every draw comes from the package generator (`tinygrad_opt.manual_seed`) unless a
`tinygrad_opt.Generator` (or any numpy Generator) is passed as `generator=`, so runs repeat exactly;
the streams differ from PyTorch's. Fills follow the in-place rules of ops/in_place.py
(refused on a tensor that requires grad while grad mode is on). Floating fills draw in
float64 for float64 tensors and float32 otherwise (float16 is rounded from float32).
"""

from __future__ import annotations

import numpy as np

from ..devices import check_cpu
from ..random import resolve
from ..tensor import Tensor, mark_changed
from .creation import _dtype
from .movement import _sizes
from .utility import _check_in_place

# random_()'s default upper bound for floats: every integer below it is exactly representable
_MANTISSA_LIMIT = {2: 2**11, 4: 2**24, 8: 2**53}


def _rng(generator) -> np.random.Generator:
    return resolve(generator)


def _float_target(op: str, x: Tensor) -> np.dtype:
    dt = x.data.dtype
    if dt.kind != "f":
        raise TypeError(f"{op}: expects a floating-point tensor, got {dt}")
    return np.dtype(np.float64) if dt == np.float64 else np.dtype(np.float32)


def _write(op: str, x: Tensor, values: np.ndarray) -> Tensor:
    np.copyto(x.data, values, casting="unsafe")
    mark_changed(x)
    return x


def _number(op: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    return float(value)


def uniform_(x: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """Fill with draws from U[from, to) (torch's `uniform_(from=0, to=1)`; `from` is a Python
    keyword, so pass the bounds by position or as `**{"from": a, "to": b}`)."""
    names = ("from", "to")
    if len(args) > 2 or set(kwargs) - set(names):
        raise TypeError(f"uniform_: expected uniform_(from=0, to=1), got {args} {kwargs}")
    bounds = dict(zip(names, args))
    for name in names:
        if name in kwargs:
            if name in bounds:
                raise TypeError(f"uniform_: got {name} twice")
            bounds[name] = kwargs[name]
    low = _number("uniform_", "from", bounds.get("from", 0.0))
    high = _number("uniform_", "to", bounds.get("to", 1.0))
    if low > high:
        raise ValueError(f"uniform_: expects from <= to, got from={low}, to={high}")
    _check_in_place("uniform_", x)
    dt = _float_target("uniform_", x)
    u = _rng(generator).random(x.data.shape, dtype=dt)
    return _write("uniform_", x, low + (high - low) * u)


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    mean = _number("normal_", "mean", mean)
    std = _number("normal_", "std", std)
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    _check_in_place("normal_", x)
    dt = _float_target("normal_", x)
    z = _rng(generator).standard_normal(x.data.shape, dtype=dt)
    return _write("normal_", x, mean + std * z)


def random_(x: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """Fill with integers drawn uniformly from [from, to - 1]: `random_()` (from 0 up to
    2**mantissa for floats, inclusive, or the dtype's largest value for integers),
    `random_(to)`, `random_(from, to)` (torch's overloads)."""
    if set(kwargs) - {"from", "to"} or len(args) + len(kwargs) > 2:
        raise TypeError(f"random_: expected random_(from, to), got {args} {kwargs}")
    if len(args) == 1 and not kwargs:
        low, high = 0, args[0]
    else:
        values = dict(zip(("from", "to"), args))
        values.update(kwargs)
        low, high = values.get("from", 0), values.get("to")
    dt = x.data.dtype
    if high is None:
        if dt.kind == "f":
            high = _MANTISSA_LIMIT[dt.itemsize] + 1
        elif dt.kind == "b":
            high = 2
        else:
            high = int(np.iinfo(dt).max) + 1
    for name, value in (("from", low), ("to", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"random_: {name} must be an int, got {value!r}")
    if low >= high:
        raise ValueError(f"random_: expects from < to, got from={low}, to={high}")
    # as torch: refuse bounds the dtype cannot hold (the draws would wrap around)
    limits = np.iinfo(dt) if dt.kind in "iu" else np.finfo(dt) if dt.kind == "f" else None
    lowest, highest = (0, 1) if limits is None else (limits.min, limits.max)
    for name, value in (("from", low), ("to - 1", high - 1)):
        if not lowest <= value <= highest:
            raise ValueError(
                f"random_: {name} = {value} is out of range for a {dt} tensor "
                f"(expected {lowest} to {highest})"
            )
    _check_in_place("random_", x)
    wide = np.uint64 if high - 1 > np.iinfo(np.int64).max else np.int64  # uint64 tensors
    draws = _rng(generator).integers(
        int(low), int(high) - 1, size=x.data.shape, dtype=wide, endpoint=True
    )
    return _write("random_", x, draws)


def exponential_(x: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with draws from the exponential distribution of rate `lambd` (mean 1/lambd)."""
    lambd = _number("exponential_", "lambd", lambd)
    if lambd <= 0:
        raise ValueError(f"exponential_: lambd must be > 0, got {lambd}")
    _check_in_place("exponential_", x)
    dt = _float_target("exponential_", x)
    return _write("exponential_", x, _rng(generator).standard_exponential(x.data.shape, dtype=dt)
                  / lambd)


def geometric_(x: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...);
    integer tensors allowed, as torch."""
    p = _number("geometric_", "p", p)
    if not 0 < p < 1:
        raise ValueError(f"geometric_: p must be in (0, 1), got {p}")
    _check_in_place("geometric_", x)
    return _write("geometric_", x, _rng(generator).geometric(p, size=x.data.shape))


def bernoulli_(x: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 1 with probability p, else 0; `p` a number or a tensor of probabilities
    that broadcasts to x. Any dtype, as torch."""
    probs = p.data if isinstance(p, Tensor) else np.asarray(p, dtype=np.float64)
    if probs.size and (np.isnan(probs).any() or probs.min() < 0 or probs.max() > 1):
        raise ValueError("bernoulli_: p must be in [0, 1]")
    try:
        probs = np.broadcast_to(probs, x.data.shape)
    except ValueError:
        raise ValueError(
            f"bernoulli_: p of shape {probs.shape} cannot broadcast to {x.data.shape}"
        ) from None
    _check_in_place("bernoulli_", x)
    return _write("bernoulli_", x, _rng(generator).random(x.data.shape) < probs)


def cauchy_(x: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with draws from the Cauchy distribution median + sigma * tan(pi * (u - 1/2))."""
    median = _number("cauchy_", "median", median)
    sigma = _number("cauchy_", "sigma", sigma)
    if sigma <= 0:
        raise ValueError(f"cauchy_: sigma must be > 0, got {sigma}")
    _check_in_place("cauchy_", x)
    dt = _float_target("cauchy_", x)
    return _write("cauchy_", x, median + sigma * _rng(generator).standard_cauchy(x.data.shape)
                  .astype(dt))


def log_normal_(x: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with exp(N(mean, std^2)) draws (torch's defaults mean=1, std=2)."""
    mean = _number("log_normal_", "mean", mean)
    std = _number("log_normal_", "std", std)
    if std <= 0:
        raise ValueError(f"log_normal_: std must be > 0, got {std}")
    _check_in_place("log_normal_", x)
    dt = _float_target("log_normal_", x)
    z = _rng(generator).standard_normal(x.data.shape, dtype=dt)
    return _write("log_normal_", x, np.exp(mean + std * z))


# ------------------------------------------------------------------ sampling functions
def bernoulli(input, p=None, *, generator=None) -> Tensor:  # noqa: A002 - torch's name
    """0/1 draws with the probabilities in `input` (or the number `p`), in input's dtype
    (torch.bernoulli); outside the graph."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.data.dtype.kind != "f":
        raise TypeError(f"bernoulli: expects floating-point probabilities, got {x.data.dtype}")
    out = Tensor(np.zeros(x.data.shape, dtype=x.data.dtype), dtype=x.data.dtype)
    return bernoulli_(out, x if p is None else p, generator=generator)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:  # noqa: A002
    """Category indices drawn with probabilities proportional to the rows of `input` (1-D
    or 2-D non-negative weights), `num_samples` per row (torch.multinomial). Without
    replacement each category is drawn at most once (exponential race: the smallest
    Exp(1)/weight wins, which is sequential sampling without replacement); int64."""
    w = input.data if isinstance(input, Tensor) else np.asarray(input)
    if w.ndim not in (1, 2) or w.dtype.kind != "f":
        raise ValueError(
            f"multinomial: input must be 1-D or 2-D floating weights, got {w.dtype} {w.shape}"
        )
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"multinomial: num_samples must be an int, got {num_samples!r}")
    if num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be > 0, got {num_samples}")
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial: weights must be finite and >= 0")
    totals = rows.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise ValueError("multinomial: every row of weights must have a positive sum")
    n = rows.shape[1]
    rng = _rng(generator)
    if replacement:
        cdf = np.cumsum(rows / totals, axis=1)
        cdf[:, -1] = 1.0
        # one search for all rows: row r's cdf lives in [r, r + 1]
        offsets = np.arange(rows.shape[0])[:, None]
        u = rng.random((rows.shape[0], num_samples)) + offsets
        flat = np.searchsorted((cdf + offsets).ravel(), u.ravel(), side="right")
        out = flat.reshape(u.shape) - n * offsets
        out = np.minimum(out, n - 1)
    else:
        if num_samples > n:
            raise ValueError(
                f"multinomial: cannot draw {num_samples} samples without replacement from "
                f"{n} categories"
            )
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows
        out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    out = out.astype(np.int64)
    return Tensor(out.reshape(num_samples) if w.ndim == 1 else out)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    """Draws from N(mean, std^2) (torch.normal): tensor mean and/or std broadcast together
    (the output has their shape), or numbers with `size`. As torch, the result carries a
    graph from tensor arguments that require grad, with zero gradient."""
    check_cpu("normal", device)
    mt = mean if isinstance(mean, Tensor) else None
    st = std if isinstance(std, Tensor) else None
    m = mt.data if mt is not None else np.asarray(_number("normal", "mean", mean))
    s = st.data if st is not None else np.asarray(_number("normal", "std", std))
    if s.size and (s < 0).any():
        raise ValueError("normal: std must be >= 0")
    if mt is None and st is None:
        if size is None:
            raise TypeError("normal: with number mean and std, give size")
        shape = _sizes("normal", (size,))
        dt = _dtype(dtype)
    else:
        try:
            shape = np.broadcast_shapes(m.shape, s.shape)
        except ValueError:
            raise ValueError(f"normal: mean {m.shape} and std {s.shape} cannot broadcast") from None
        floats = [t.data.dtype for t in (mt, st) if t is not None and t.data.dtype.kind == "f"]
        if not floats:
            raise TypeError("normal: tensor mean/std must be floating point")
        dt = np.result_type(*floats)
    z = _rng(generator).standard_normal(shape, dtype=np.float64 if dt == np.float64 else np.float32)
    out = (m + s * z).astype(dt)
    parents = tuple(t for t in (mt, st) if t is not None)
    return Tensor.make(out, parents, lambda g: tuple(np.zeros_like(t.data) for t in parents))


def randint_like(input, low=0, high=None, *, generator=None, dtype=None,  # noqa: A002
                 requires_grad: bool = False, device=None) -> Tensor:
    """Integers uniform in [low, high) in input's shape and (unless `dtype`) dtype:
    `randint_like(x, high)` or `randint_like(x, low, high)` (torch.randint_like)."""
    check_cpu("randint_like", device)
    if high is None:
        low, high = 0, low
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint_like: {name} must be an int, got {value!r}")
    if low >= high:
        raise ValueError(f"randint_like: low must be less than high, got {low} and {high}")
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    dt = data.dtype if dtype is None else _dtype(dtype)
    draws = _rng(generator).integers(int(low), int(high), size=data.shape, dtype=np.int64)
    return Tensor(draws.astype(dt), requires_grad=requires_grad, dtype=dt)
