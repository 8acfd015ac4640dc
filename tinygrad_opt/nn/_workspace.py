"""Reusable scratch arrays for layer ops (im2col patches and their gradients).

A convolution's patch matrix is the largest array of a CNN step (85 MB for the Keras CNN's
second layer at batch 128). glibc serves blocks above 32 MiB with a fresh mmap() and unmaps
them on free, so without reuse every step page-faults and zero-fills them again (several ms
each). `scratch(shape, dtype)` hands out an array over a cached block. The array's memory is
owned through a small lease object that every view derived from it keeps alive; the cache
holds only a weak reference to the lease and reuses the block once the lease is gone, so
memory still referenced (e.g. patches saved for a backward with retain_graph=True) is never
overwritten. Contents are uninitialised, as np.empty.
"""

from __future__ import annotations

import weakref

import numpy as np

# Smaller arrays come from malloc, which already reuses freed heap memory
# (see thread_pools.keep_freed_memory).
MIN_BYTES = 1 << 22
# Blocks kept per (shape, dtype): enough for the live patches of a few same-shaped layers.
_PER_KEY = 4


class _Lease:
    """Owner of one handed-out array: numpy arrays built from it keep it as their base."""

    __slots__ = ("__array_interface__", "block", "__weakref__")

    def __init__(self, block: np.ndarray) -> None:
        self.block = block
        self.__array_interface__ = block.__array_interface__


_cache: dict[tuple, list[tuple[np.ndarray, weakref.ref]]] = {}


def _lend(entries: list, index: int, block: np.ndarray) -> np.ndarray:
    lease = _Lease(block)
    array = np.asarray(lease)
    entries[index] = (block, weakref.ref(lease))
    return array


def scratch(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array, reusing the memory of an earlier one that is gone."""
    dtype = np.dtype(dtype)
    if int(np.prod(shape)) * dtype.itemsize < MIN_BYTES:
        return np.empty(shape, dtype=dtype)
    entries = _cache.setdefault((tuple(shape), dtype.str), [])
    for index, (block, ref) in enumerate(entries):
        if ref() is None:
            return _lend(entries, index, block)
    block = np.empty(shape, dtype=dtype)
    if len(entries) >= _PER_KEY:
        return block  # every cached block is in use: a plain array, not cached
    entries.append(None)
    return _lend(entries, len(entries) - 1, block)


def clear() -> None:
    """Drop every cached block (its memory is freed once no array over it is alive)."""
    _cache.clear()
