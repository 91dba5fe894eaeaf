"""SIGKILL an adaptive run at random points, resume it: the same choices, no answer twice.

The killed run is the real runner in a subprocess (``adaptive_writer.py``: simulated respondent,
random chooser, a call budget). After the kills and a final resume, the choice log (units, the
count and digest of the answers each step was chosen from, the budget) and the stored answers must
equal those of an uninterrupted run, and the calls counted from the store must equal the answers
stored (none asked twice into the store).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from adaptive_writer import settings

from gapeval.adaptive import calls_per_model, run_adaptive
from gapeval.respondents.simulated import SimulatedAdapter
from gapeval.store import Store, answer_digest

KILLS = 4
WRITER = [sys.executable, str(Path(__file__).with_name("adaptive_writer.py"))]


def count(folder: Path) -> int:
    """Answers plus logged choices committed so far (read-only; 0 before the database exists)."""
    database = folder / "answers.sqlite"
    if not database.exists():
        return 0
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        query = "SELECT (SELECT COUNT(*) FROM answers) + (SELECT COUNT(*) FROM choices)"
        return int(connection.execute(query).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        connection.close()


def state(folder: Path) -> tuple[list[tuple], dict[tuple, str], int]:
    with Store(folder, readonly=True) as store:
        log = [(c.step, c.units, c.answered_n, c.answered_sha256, c.budget_left, dict(c.skipped))
               for c in store.choices("sim")]  # fmt: skip
        answers = {a.key.columns(): answer_digest(a.result) for a in store.answers()}
        return log, answers, len(store.errors())


@pytest.mark.slow  # about 80 s on the loaded 2-core box (five processes start and load the bank)
def test_a_killed_adaptive_run_resumes_with_identical_choices_and_no_duplicate_calls(tmp_path, kill_repeatedly):
    config, chooser = settings()
    adapter = SimulatedAdapter(**config.models[0].options)
    run_adaptive(config, tmp_path / "expected", chooser=chooser, adapters={"sim": adapter})
    expected_log, expected_answers, _ = state(tmp_path / "expected")
    assert len(expected_log) >= 6 and 20 <= len(expected_answers) <= 24

    folder = tmp_path / "killed"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}

    def check() -> bool:
        log, answers, _ = state(folder)
        assert log == expected_log[: len(log)]  # every choice made so far is the uninterrupted run's
        assert all(expected_answers[key] == digest for key, digest in answers.items())
        return 0 < len(answers) < len(expected_answers)

    killed, mid_run = kill_repeatedly(
        lambda: subprocess.Popen([*WRITER, str(folder)], stdout=subprocess.DEVNULL, env=environment),
        lambda: count(folder), check, kills=KILLS, seed=11, longest=1.2)
    assert killed >= 3 and mid_run >= 3, (killed, mid_run)
    done = subprocess.run([*WRITER, str(folder)], capture_output=True, text=True, timeout=300, env=environment)
    assert done.returncode == 0, done.stderr
    log, answers, errors = state(folder)
    assert log == expected_log
    assert answers == expected_answers and errors == 0
    assert calls_per_model(folder) == calls_per_model(tmp_path / "expected") == {"sim": len(answers)}
    with Store(folder, readonly=True) as store:
        assert store.verify() == []
