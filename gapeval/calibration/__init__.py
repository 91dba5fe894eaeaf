"""A calibrated bank: item parameters with their uncertainty, fixed-item scoring and adaptive item choice.

* :func:`calibrate` fits the Gap Score model on a reference cohort and keeps thinned joint posterior
  draws of every item's parameters and of the observation layer (:class:`Calibration`), written and
  read as validated JSON (:func:`save_calibration`, :func:`load_calibration`);
* ``gapeval.gap_score(responses, calibration=cal)`` scores new models against it in seconds
  (:func:`score_with_calibration`);
* :class:`GapVarianceChooser` picks the next questions of an adaptive run (``docs/adaptive.md``);
* :func:`link_calibration` puts a new bank version's calibration on an old one's scale through their
  common items (mean/sigma).
"""

from gapeval.calibration.fit import calibrate
from gapeval.calibration.linking import link_calibration
from gapeval.calibration.record import Calibration, CalibrationError, load_calibration, save_calibration
from gapeval.calibration.scoring import score_with_calibration
from gapeval.calibration.selection import GapVarianceChooser

__all__ = ["calibrate", "Calibration", "CalibrationError", "load_calibration", "save_calibration",
           "score_with_calibration", "GapVarianceChooser", "link_calibration"]
