"""The Gap Score: understanding vs generation ability, joint tables, and the legacy GapEval score.

``gap_score`` fits a two-dimensional IRT model over all models jointly (docs/methods.md §2);
``legacy_gap_score`` reproduces the GapEval-2026 reference implementation for comparison only.
``standardize_responses`` is :func:`gapeval.responses.standardize_responses`, the one validator of
the long table.
"""

from gapeval.gap.compare import gap_compare
from gapeval.gap.joint import joint_table
from gapeval.gap.legacy import LEGACY_METHOD, legacy_gap_score, legacy_gap_score_from_responses
from gapeval.gap.result import GapResult
from gapeval.gap.score import GAP_COLUMNS, OneDirectionWarning, gap_score
from gapeval.gap.simulate import GapTruth, simulate_gap_responses
from gapeval.responses import standardize_responses

__all__ = [
    "gap_score", "gap_compare", "GapResult", "GAP_COLUMNS", "OneDirectionWarning", "joint_table",
    "legacy_gap_score", "legacy_gap_score_from_responses", "LEGACY_METHOD", "standardize_responses",
    "GapTruth", "simulate_gap_responses",
]
