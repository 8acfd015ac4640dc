"""torch's memory-format constants (`tinygrad_opt.channels_last`, ...), for code that passes
them: numpy arrays here keep whatever layout they have, so a memory format is only a name
that the functions taking one check and otherwise ignore."""

from __future__ import annotations

_NAMES = ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format")


class memory_format:  # noqa: N801 - torch's name
    """A named memory format; the four instances below are the only ones."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"tinygrad_opt.{self.name}"

    def __reduce__(self):  # copies and pickles resolve to the same constant
        return (_by_name, (self.name,))


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
_FORMATS = {f.name: f for f in (contiguous_format, channels_last, channels_last_3d,
                                preserve_format)}


def _by_name(name: str) -> memory_format:
    return _FORMATS[name]


def format_name(value, who: str) -> str:
    """The name of a memory format given as one of the constants above, as its name string
    ('channels_last'), or as torch's own constant (printed 'torch.channels_last')."""
    if isinstance(value, memory_format):
        return value.name
    text = value if isinstance(value, str) else str(value)
    name = text[len("torch."):] if text.startswith("torch.") else text
    if isinstance(value, str) or type(value).__name__ == "memory_format":
        if name in _NAMES:
            return name
        raise ValueError(f"{who}: unknown memory format {value!r}; expected one of {_NAMES}")
    raise TypeError(f"{who}: memory_format must be a memory format such as "
                    f"tinygrad_opt.channels_last, got {type(value).__name__}")
