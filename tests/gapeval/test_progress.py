"""The one progress display: quiet off a terminal unless asked, a time left, a fit's iterations counted."""

from __future__ import annotations

import io
import time

import numpyro
import numpyro.distributions as dist

from gapeval.progress import Progress
from irt.inference.options import SVIOptions
from irt.inference.runners import run_svi


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _ticking_clock():
    return iter(range(1000)).__next__


def test_quiet_in_a_log_unless_asked_and_in_place_on_a_terminal():
    log = io.StringIO()
    Progress(stream=log, every_s=0.0).counter("scoring", unit="answers")(1, 2)
    assert log.getvalue() == ""
    Progress(stream=log, every_s=0.0, enabled=True, clock=_ticking_clock()).counter("scoring", unit="answers")(1, 2)
    assert log.getvalue() == "scoring: 1/2 answers (50%), 1.0/s, left ?\n"  # no rate measured yet: no guess
    terminal = _Terminal()
    slow_start = iter([0, 100, 101, 102, 103, 104]).__next__  # 100 s before the first answer (loading)
    count = Progress(stream=terminal, every_s=0.0, clock=slow_start).counter("scoring", unit="answers")
    for done in (1, 2, 3, 4):
        count(done, 4)
    assert terminal.getvalue().split("\r") == [
        "", "scoring: 1/4 answers (25%), 0.0/s, left ?",
        "scoring: 2/4 answers (50%), 1.0/s, left 0:00:02",  # the rate counts from the first answer
        "scoring: 3/4 answers (75%), 1.0/s, left 0:00:01",
        "scoring: 4/4 answers (100%), 1.0/s, left 0:00:00",
        "scoring: 4/4 answers (100%), 0.8/s, left 0:00:00, done in 0:01:44\n",  # one line stays
    ]


def test_throttled_to_one_line_per_interval():
    log = io.StringIO()
    count = Progress(stream=log, every_s=10.0, enabled=True, clock=_ticking_clock()).counter("scoring", unit="answers")
    for done in range(1, 100):
        count(done, 100)
    assert 8 <= len(log.getvalue().splitlines()) <= 11


def test_a_fit_inside_a_phase_reports_its_iterations_and_time_left():
    def model():
        numpyro.sample("x", dist.Normal(0.0, 1.0).expand([2]))

    log = io.StringIO()
    progress = Progress(stream=log, every_s=0.0, enabled=True)
    with progress.phase("fitting"):
        run_svi(model, seed=0, options=SVIOptions(num_steps=1000, num_draws=10))
    lines = log.getvalue().splitlines()
    assert lines[0] == "fitting ..."
    assert any(line.startswith("fitting: 500/1000 iterations (50%)") and ", left 0:00:0" in line for line in lines)
    assert lines[-1].startswith("fitting: 1000/1000 iterations (100%)") and "done in" in lines[-1]


def test_a_step_without_counted_iterations_says_it_is_still_working():
    log = io.StringIO()
    with Progress(stream=log, every_s=0.1, enabled=True).phase("report 3/4: decay model"):
        time.sleep(0.45)
    lines = log.getvalue().splitlines()
    assert lines[0] == "report 3/4: decay model ..."
    assert lines.count("report 3/4: decay model: 0:00:00 elapsed") >= 2  # a beat while the fit gives no count
    assert lines[-1] == "report 3/4: decay model: 0:00:00 elapsed, done in 0:00:00"
