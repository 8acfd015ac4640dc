"""How Tensor reprs print their values: `set_printoptions`, as torch.set_printoptions.

The options are passed to numpy's `array2string` by `Tensor.__repr__` only, so numpy's own
global print options (and the printing of plain arrays) are left alone. Profiles, as torch:
"default" (precision 4, threshold 1000, edgeitems 3, linewidth 80), "short" (precision 2,
edgeitems 2) and "full" (threshold inf, everything printed). `sci_mode` True forces
scientific notation, False forces positional, None lets numpy choose (as torch chooses).
Deviations: numpy decides the layout (commas, wrapping), and an unknown profile raises
ValueError (torch ignores it).
"""

from __future__ import annotations

import math
import sys

import numpy as np

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
PRINT_OPTIONS = dict(_PROFILES["default"], sci_mode=None)


def _check_int(name: str, value, minimum: int):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"set_printoptions: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Set how tensors print (see the module docstring); options left None keep their value,
    except `sci_mode`, which is always set (None: automatic), as torch."""
    update = {}
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}"
            )
        update.update(_PROFILES[profile])
    if precision is not None:
        update["precision"] = _check_int("precision", precision, 0)
    if threshold is not None:
        if threshold != math.inf:
            threshold = _check_int("threshold", threshold, 0)
        update["threshold"] = threshold
    if edgeitems is not None:
        update["edgeitems"] = _check_int("edgeitems", edgeitems, 1)
    if linewidth is not None:
        update["linewidth"] = _check_int("linewidth", linewidth, 1)
    if sci_mode not in (None, True, False):
        raise ValueError(
            f"set_printoptions: sci_mode must be True, False or None, got {sci_mode!r}"
        )
    update["sci_mode"] = sci_mode
    PRINT_OPTIONS.update(update)  # all checked first, so a bad argument changes nothing


def array2string_options() -> dict:
    """Keyword arguments for `np.array2string` that apply the current options."""
    opts = PRINT_OPTIONS
    threshold = opts["threshold"]
    kwargs = {
        "precision": opts["precision"],
        "threshold": sys.maxsize if threshold == math.inf else threshold,
        "edgeitems": opts["edgeitems"],
        "max_line_width": opts["linewidth"],
    }
    digits = opts["precision"]
    if opts["sci_mode"] is True:
        kwargs["formatter"] = {
            "float_kind": lambda v: np.format_float_scientific(v, precision=digits, unique=False)
        }
    elif opts["sci_mode"] is False:
        kwargs["formatter"] = {
            "float_kind": lambda v: np.format_float_positional(v, precision=digits, unique=False)
        }
    return kwargs
