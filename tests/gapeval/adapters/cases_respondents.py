"""Contract cases for the respondents of :mod:`gapeval.respondents`: the procedural baseline and the
simulated respondent answer through the adapter protocol like any model client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gapeval.respondents.procedural import ProceduralAdapter
from gapeval.respondents.simulated import SimulatedAdapter

SKIP_REASON = None

CASES: dict[str, Callable[[], Any]] = {
    "procedural": lambda: ProceduralAdapter(),
    "simulated": lambda: SimulatedAdapter(theta_understanding=0.5, theta_generation=-0.5, decay=-0.1),
}
