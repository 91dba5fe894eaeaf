"""Adaptive testing: ask each model only the items that tell most about it, durably and resumably.

:func:`run_adaptive` drives the runner (:mod:`gapeval.runner`) with an :class:`ItemChooser`: per
model it asks the units the chooser picks, a few at a time, scores the answers inline and asks
again, until the chooser stops or the call budget is spent; every choice is logged in the run's
store (:mod:`gapeval.store.choices`) so a killed run resumes with the same choices.
:func:`calls_per_model` counts a run's calls from its store. ``gapeval run --adaptive`` builds the
chooser from a calibration file (:func:`calibrated_chooser`, :mod:`gapeval.calibration`).

Examples
--------
>>> import tempfile
>>> from gapeval.bank import load_bank
>>> from gapeval.model_spec import ModelSpec
>>> from gapeval.runner import AdaptiveSettings, RunConfig
>>> bank = load_bank("builtin")
>>> chooser = RandomChooser.for_bank(bank, seed=0)
>>> config = RunConfig(
...     models=(ModelSpec(name="sim", adapter="simulated", options={"theta_understanding": 1.0}),),
...     include="items", score=False,
...     adaptive=AdaptiveSettings(chooser=chooser.description, batch=4, max_calls=12),
... )
>>> folder = tempfile.mkdtemp()
>>> report = run_adaptive(config, folder, chooser=chooser, bank=bank)
>>> report.models[0].stopped, calls_per_model(folder)
('budget spent (12 calls)', {'sim': 12})
"""

from gapeval.adaptive.chooser import ItemChooser, RandomChooser, unit_of
from gapeval.adaptive.counts import calls_per_model, model_calls
from gapeval.adaptive.factory import calibrated_chooser, file_sha256
from gapeval.adaptive.loop import JUDGED_KINDS, run_adaptive

__all__ = [
    "JUDGED_KINDS",
    "ItemChooser",
    "RandomChooser",
    "calibrated_chooser",
    "calls_per_model",
    "file_sha256",
    "model_calls",
    "run_adaptive",
    "unit_of",
]
