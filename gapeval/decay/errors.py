"""The error of the decay analyses: a table or a requested model that cannot be fitted as asked.

Convergence problems are reported with :class:`irt.ConvergenceWarning`, the one warning class for
them in ``irt`` and ``gapeval`` (re-exported as ``gapeval.decay.ConvergenceWarning``).
"""

from __future__ import annotations

from gapeval.errors import GapevalError

__all__ = ["DecayError"]


class DecayError(GapevalError):
    """The responses table or the requested model cannot be fitted as asked."""
