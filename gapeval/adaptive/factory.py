"""The chooser of ``gapeval run --adaptive``: built from a calibration file by :mod:`gapeval.calibration`."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gapeval.adaptive.chooser import ItemChooser
from gapeval.errors import GapevalError

__all__ = ["calibrated_chooser", "file_sha256"]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes (what the manifest records of the calibration used)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as error:
        raise GapevalError(f"cannot read the calibration file {str(path)!r}: {error.strerror or error}") from None


def calibrated_chooser(calibration: str | os.PathLike[str], *, target_width: float) -> ItemChooser:
    """The gap-variance chooser of a calibration file (``gapeval calibrate`` writes one).

    Parameters
    ----------
    calibration : path
        The calibration file.
    target_width : float
        Stop when the gap's interval is this narrow.

    Raises
    ------
    GapevalError
        If the calibration package is not installed in this gapeval, or the file cannot be read.
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
    return GapVarianceChooser(load_calibration(calibration), target_width=target_width)
