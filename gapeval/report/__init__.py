"""Reports: gap scores, comparisons, joint tables, decay, figures and an index, from a long table.

See :func:`build_report` and ``docs/report.md``.
"""

from gapeval.report.build import Report, build_report
from gapeval.report.sources import load_responses

__all__ = ["Report", "build_report", "load_responses"]
