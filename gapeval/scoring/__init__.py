"""Scoring: text rules, image verifiers, judge models, scoring stored runs, agreement statistics.

>>> from gapeval.scoring import score_imug_mcq
>>> score_imug_mcq("A.", key="A").value
0.75
"""

from gapeval.scoring.agreement import cohen_kappa, pearson, spearman
from gapeval.scoring.alpha import krippendorff_alpha
from gapeval.scoring.choice import score_choice
from gapeval.scoring.dispatch import score_answer
from gapeval.scoring.judge_adapter import AdapterJudge, JudgeError, adapter_judge
from gapeval.scoring.judge_cache import JudgeCache
from gapeval.scoring.mcq import score_imug_mcq
from gapeval.scoring.numbers import score_number
from gapeval.scoring.result import Score
from gapeval.scoring.run_scoring import ScoringSummary, score_name, score_run
from gapeval.scoring.text import score_text

__all__ = [
    "Score", "score_imug_mcq", "score_choice", "score_number", "score_text",
    "score_answer", "score_run", "score_name", "ScoringSummary",
    "adapter_judge", "AdapterJudge", "JudgeError", "JudgeCache",
    "pearson", "spearman", "cohen_kappa", "krippendorff_alpha",
]
