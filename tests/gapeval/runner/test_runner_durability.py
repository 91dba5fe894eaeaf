"""Durability: SIGKILL a running ``gapeval run`` at random points, then resume it.

After the kills and a final resume, the store must hold exactly one answer per planned key, none
lost and none duplicated, and every answer must equal the one an uninterrupted run gives. The
scripted mock's default reply depends on the request's seed and the hashes of its history images,
so equal answers also show that resumed dialogues continued from the model's own earlier outputs.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from gapeval.adapters.scripted import ScriptedAdapter
from gapeval.bank import load_bank
from gapeval.model_spec import ModelSpec
from gapeval.runner import RunConfig, build_plan, run
from gapeval.store import Store, answer_digest

LIMIT = 12
KILLS = 5
COMMAND = [
    sys.executable, "-m", "gapeval.cli", "run", "--bank", "builtin",
    "--model", "scripted:delay_s=0.15", "--batch-size", "1", "--limit", str(LIMIT),
    "--no-score", "--quiet",
]


def count(folder) -> int:
    """Answers committed so far (read-only; 0 before the database exists)."""
    database = folder / "answers.sqlite"
    if not database.exists():
        return 0
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        connection.close()


def stored(folder) -> dict[tuple, str]:
    with Store(folder, create=False) as store:
        return {a.key.columns(): answer_digest(a.result) for a in store.answers()}


def test_killed_runs_resume_to_the_uninterrupted_answers(tmp_path, kill_repeatedly):
    bank = load_bank("builtin")
    config = RunConfig(models=(ModelSpec(name="scripted", adapter="scripted"),), limit=LIMIT, score=False)
    expected_folder = tmp_path / "expected"
    run(config, expected_folder, adapters={"scripted": ScriptedAdapter()}, bank=bank)
    expected = stored(expected_folder)
    assert len(expected) == build_plan(bank, config).calls_per_model

    folder = tmp_path / "killed"

    def check() -> bool:
        partial = stored(folder)
        assert all(expected[key] == digest for key, digest in partial.items())
        return 0 < len(partial) < len(expected)

    killed, mid_run = kill_repeatedly(
        lambda: subprocess.Popen([*COMMAND, "--out", str(folder)], stdout=subprocess.DEVNULL),
        lambda: count(folder), check, kills=KILLS, seed=7, longest=1.5)
    assert killed >= 3 and mid_run >= 3, (killed, mid_run)
    done = subprocess.run([*COMMAND, "--out", str(folder)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert stored(folder) == expected
    with Store(folder, create=False) as store:
        assert store.verify() == []
        assert len(store) == len(expected)
