"""`pytest.raises(match=...)` patterns that pin down what an error message says.

The project's rule: an invalid hyperparameter raises an error naming the parameter, the
offending value and the allowed range, so tests match all three, not just the name.
"""

from __future__ import annotations

import re


def exactly(message: str) -> str:
    """The whole message, literally (regex metacharacters escaped)."""
    return "^" + re.escape(message) + "$"


def invalid(name: str, value: object, expected: str) -> str:
    """optim's check_number / check_betas format: 'Invalid {name}: {value}; expected ...'."""
    return exactly(f"Invalid {name}: {value}; expected {expected}")

