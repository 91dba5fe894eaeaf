"""The chooser of ``gapeval run --adaptive``: built from a calibration file by :mod:`gapeval.calibration`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gapeval.adaptive.chooser import ItemChooser
from gapeval.errors import GapevalError

if TYPE_CHECKING:
    from gapeval.bank import Bank

__all__ = ["calibrated_chooser", "dialogue_units", "file_sha256"]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes (what the manifest records of the calibration used)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as error:
        raise GapevalError(f"cannot read the calibration file {str(path)!r}: {error.strerror or error}") from None


def calibrated_chooser(calibration: str | os.PathLike[str], *, target_width: float,
                       bank: Bank | None = None) -> ItemChooser:
    """The gap-variance chooser of a calibration file (``gapeval calibrate`` writes one).

    Parameters
    ----------
    calibration : path
        The calibration file.
    target_width : float
        Stop when the gap's interval is this narrow.
    bank : Bank, optional
        The run's bank: the calibration must have been made for it (its hash), and its dialogues are
        chosen as whole units (their calibrated turns, ``DIALOGUE#TURN``, ask together).

    Raises
    ------
    GapevalError
        If the calibration package is not installed in this gapeval, or the file cannot be read, or it was
        made for another bank.
    """
    file_sha256(calibration)  # a missing or unreadable file is named before anything else
    try:
        from gapeval.calibration import GapVarianceChooser, load_calibration
    except ImportError as error:
        raise GapevalError(
            "adaptive testing from a calibration file needs gapeval.calibration (load_calibration, "
            f"GapVarianceChooser), which this gapeval lacks ({error}); update gapeval, or drive the run "
            "from Python with gapeval.adaptive.run_adaptive(config, out, chooser=...)"
        ) from None
    loaded = load_calibration(calibration)
    if bank is None:
        return GapVarianceChooser(loaded, target_width=target_width)
    loaded.require_bank(bank.hash)
    return GapVarianceChooser(loaded, target_width=target_width, units=dialogue_units(bank, loaded.item_ids))


def dialogue_units(bank: Bank, calibrated: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each dialogue of ``bank`` as one unit: its turns' item ids (``DIALOGUE#TURN``) that ``calibrated`` holds.

    Examples
    --------
    >>> from gapeval.bank import load_bank
    >>> bank = load_bank("builtin")
    >>> first = bank.dialogues[0]
    >>> dialogue_units(bank, [f"{first.id}#1", f"{first.id}#2"])[first.id]
    ('...#1', '...#2')
    """
    known = set(calibrated)
    units = {d.id: tuple(f"{d.id}#{turn}" for turn in range(1, len(d.turns) + 1)) for d in bank.dialogues}
    return {unit: tuple(m for m in members if m in known) for unit, members in units.items()
            if any(m in known for m in members)}
