"""The error classes of :mod:`irt`: one for bad input, one for what the data cannot give.

Every public function of :mod:`irt` reports bad input (a malformed table, an unknown option, a value
out of range) as :class:`IRTError`, whose message names the column, row, value or option and how to
fix it; a quantity that the fitted data cannot give (a statistic with negative degrees of freedom, a
singular matrix) is an :class:`EstimationError`. Both subclass ``ValueError``, so code that catches
``ValueError`` keeps working. Doubtful estimates that can still be reported give an
:class:`irt.ConvergenceWarning` instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["EstimationError", "IRTError", "SlowFitWarning", "as_seed", "check_count", "check_positive"]


class IRTError(ValueError):
    """Bad input to an :mod:`irt` function; the message says what is wrong and how to fix it."""


class EstimationError(IRTError):
    """The data (or the fit) cannot give what was asked: a singular matrix, too few degrees of freedom."""


class SlowFitWarning(UserWarning):
    """A fit is estimated, before it starts, to take long for its data's size; the message gives the
    estimate and the faster methods that fit that shape."""


def as_seed(seed: Any) -> int:
    """``seed`` as a non-negative integer, or :class:`IRTError` saying what a seed must be.

    Examples
    --------
    >>> as_seed(3), as_seed(np.int64(4))
    (3, 4)
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise IRTError(f"seed={seed!r} must be a non-negative integer such as 0 or 20240501 "
                       f"(got {type(seed).__name__})")
    return int(seed)


def check_count(name: str, value: Any, least: int = 1) -> None:
    """Refuse ``value`` unless it is an integer >= ``least`` (``num_*`` counts: positive)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not np.isfinite(value) or int(value) != value or value < least:
        need = "a positive integer" if least == 1 and name.startswith("num_") else f"an integer >= {least}"
        raise IRTError(f"{name}={value!r} must be {need}")


def check_positive(name: str, value: Any) -> None:
    """Refuse ``value`` unless it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not (np.isfinite(value) and value > 0):
        raise IRTError(f"{name}={value!r} must be a positive number")
