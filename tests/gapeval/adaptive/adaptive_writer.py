"""Subprocess of the adaptive kill test: an adaptive run of a slowed simulated respondent.

Usage: ``python adaptive_writer.py RUN_DIR``. Runs (or resumes) :func:`gapeval.adaptive.run_adaptive`
with :func:`settings` and a :class:`~gapeval.adaptive.RandomChooser`; the respondent sleeps
``DELAY_S`` per request and is asked one request per call, so there is time to kill it between commits.
"""

from __future__ import annotations

import sys
import time

from gapeval.adaptive import RandomChooser, run_adaptive
from gapeval.bank import load_bank
from gapeval.model_spec import ModelSpec
from gapeval.respondents.simulated import SimulatedAdapter
from gapeval.runner import AdaptiveSettings, RunConfig, build_plan

DELAY_S = 0.12
OPTIONS = {"theta_understanding": 0.5, "theta_generation": -0.5}


def settings() -> tuple[RunConfig, RandomChooser]:
    """The run and its chooser (the test runs the same uninterrupted, in its own process)."""
    config = RunConfig(
        models=(ModelSpec(name="sim", adapter="simulated", options=OPTIONS),), limit=10, score=False,
        batch_size=1, adaptive=AdaptiveSettings(chooser="RandomChooser(seed=3)", batch=2, max_calls=24),
    )  # fmt: skip
    plan = build_plan(load_bank("builtin"), config)
    return config, RandomChooser([i.id for i in plan.items] + [d.id for d in plan.dialogues], seed=3)


class SlowSimulated(SimulatedAdapter):
    """The simulated respondent, ``DELAY_S`` per request (its answers do not change)."""

    def run_turns(self, requests):  # noqa: ANN001, ANN201 - the adapter interface
        time.sleep(DELAY_S * len(requests))
        return super().run_turns(requests)


def main(folder: str) -> int:
    config, chooser = settings()
    report = run_adaptive(config, folder, chooser=chooser, adapters={"sim": SlowSimulated(**OPTIONS)})
    print(f"done {report.models[0].calls} {report.models[0].stopped}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
