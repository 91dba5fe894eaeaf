"""Scoring: text rules, image verifiers, judge models and agreement statistics.

>>> from gapeval.scoring import score_imug_mcq
>>> score_imug_mcq("A.", key="A").value
0.75
"""

from gapeval.scoring.agreement import cohen_kappa, pearson, spearman
from gapeval.scoring.alpha import krippendorff_alpha
from gapeval.scoring.choice import score_choice
from gapeval.scoring.mcq import score_imug_mcq
from gapeval.scoring.numbers import score_number
from gapeval.scoring.result import Score
from gapeval.scoring.text import score_text

__all__ = [
    "Score", "score_imug_mcq", "score_choice", "score_number", "score_text",
    "pearson", "spearman", "cohen_kappa", "krippendorff_alpha",
]
