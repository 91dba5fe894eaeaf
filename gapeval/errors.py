"""Exception and warning classes shared across gapeval."""

from __future__ import annotations


class GapevalError(ValueError):
    """A user-facing error: bad input, a bad configuration or an impossible request.

    Subclasses ``ValueError`` so callers that catch ``ValueError`` keep working. The command line
    prints its message on one line and exits with status :attr:`exit_code` (2, bad input; the
    store's errors, :class:`gapeval.store.failures.StoreError`, use 4).
    """

    exit_code: int = 2
    """Exit status of the command line when this error ends a command."""


class ScoringWarning(UserWarning):
    """A score was computed but something about it deserves attention (e.g. unscorable output)."""
