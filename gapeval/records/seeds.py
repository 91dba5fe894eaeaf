"""Per-request seeds derived from the run seed by a documented hash function."""

from __future__ import annotations

import hashlib
from typing import Any

from gapeval.errors import GapevalError

__all__ = ["MAX_SEED", "check_seed", "derive_seed"]

#: Largest seed :func:`derive_seed` returns (63 bits: fits SQLite integers and ``torch.Generator``).
MAX_SEED = 2**63 - 1


def check_seed(seed: Any, *, name: str = "seed", error: type[GapevalError] = GapevalError) -> int:
    """``seed`` as an int in ``[0, MAX_SEED]``, or :class:`GapevalError` saying what a seed must be.

    gapeval's counterpart of :func:`irt.errors.as_seed` (which raises :mod:`irt`'s error class);
    numpy integers are accepted, booleans, floats and text are not. ``error`` is the
    :class:`GapevalError` subclass raised (e.g. ``DecayError``).

    Examples
    --------
    >>> check_seed(7)
    7
    >>> check_seed("abc")
    Traceback (most recent call last):
    ...
    gapeval.errors.GapevalError: seed='abc' must be an integer from 0 to 2**63 - 1, e.g. 0 (got str)
    """
    if isinstance(seed, bool) or not hasattr(seed, "__index__") or not 0 <= int(seed) <= MAX_SEED:
        raise error(f"{name}={seed!r} must be an integer from 0 to 2**63 - 1, e.g. 0 "
                           f"(got {type(seed).__name__})")
    return int(seed)


def derive_seed(run_seed: int, unit: str, turn: int | None, sample: int) -> int:
    """Derive the seed of one request from the run seed, the item (or dialogue), turn and sample.

    The seed is the first 8 bytes (big-endian) of
    ``sha256(f"gapeval-seed-v1|{run_seed}|{unit}|{turn or 0}|{sample}")``, cleared to 63 bits. It
    depends on nothing else (not on batch composition, order or process), so a resumed or sharded
    run gives every request the seed it would have had in one uninterrupted run.

    Parameters
    ----------
    run_seed : int
        The run's seed (``--seed``).
    unit : str
        Item id for a standalone item, dialogue id for a dialogue turn.
    turn : int or None
        1-based turn index in the dialogue, ``None`` for a standalone item (hashed as 0).
    sample : int
        Repeat index.

    Returns
    -------
    int
        A seed in ``[0, 2**63 - 1]``.

    Examples
    --------
    >>> derive_seed(0, "q1", None, 0)
    239966107477942612
    >>> derive_seed(0, "q1", None, 0) == derive_seed(0, "q1", 0, 0)
    True
    """
    text = f"gapeval-seed-v1|{int(run_seed)}|{unit}|{int(turn or 0)}|{int(sample)}"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") & MAX_SEED

