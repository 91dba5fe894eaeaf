"""Respondents: programs that answer the built-in bank without a model, through the adapter protocol.

This package owns the respondents that stand in for models in demos, tests and calibration:

- :mod:`gapeval.respondents.procedural`: a rule-based baseline that truly reads and draws the
  bank's clean scenes (its text parsers in :mod:`~gapeval.respondents.procedural_read`, its
  drawing in :mod:`~gapeval.respondents.procedural_draw`);
- :mod:`gapeval.respondents.simulated`: a respondent answering with the probabilities of a
  two-dimensional IRT model with known abilities (its wrong pictures in
  :mod:`~gapeval.respondents.simulated_images`).

Both satisfy :class:`gapeval.adapters.base.Adapter` and are listed in the adapter registry as
``procedural`` and ``simulated``. Unlike the model clients of :mod:`gapeval.adapters`, they read the
bank, the scenes, the protocol prompts and (to make a wrong picture really wrong) the verifiers.
"""
