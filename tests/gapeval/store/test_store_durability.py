"""Durability: SIGKILL a writing process at random points; resuming loses and duplicates nothing."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gapeval.adapters.scripted import ScriptedAdapter
from gapeval.store import AnswerKey, Store, answer_digest

from durability_writer import expected_request

HERE = Path(__file__).parent

COUNT = 240
KILLS = 6


def committed_keys(database: Path) -> set[tuple]:
    if not database.exists():
        return set()
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return set(connection.execute("SELECT model, unit, turn_key, sample FROM answers"))
    except sqlite3.OperationalError:  # tables not created yet
        return set()
    finally:
        connection.close()


def start_writer(folder: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    return subprocess.Popen(
        [sys.executable, str(HERE / "durability_writer.py"), str(folder), str(COUNT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_killed_writers_resume_with_nothing_lost_or_duplicated(tmp_path):
    folder = tmp_path / "run"
    database = folder / "answers.sqlite"
    rng = random.Random(20261122)
    targets = sorted(rng.sample(range(5, COUNT - 5), KILLS))
    seen: set[tuple] = set()
    kills_mid_run = 0
    started = time.monotonic()
    for target in targets:
        writer = start_writer(folder)
        while writer.poll() is None and len(committed_keys(database)) < target:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.01))  # land anywhere, including inside a transaction
        if writer.poll() is None:
            writer.send_signal(signal.SIGKILL)
            kills_mid_run += 1
        writer.communicate(timeout=30)
        now = committed_keys(database)
        assert seen <= now, "committed answers were lost after a kill"
        seen = now
    final = start_writer(folder)
    stdout, stderr = final.communicate(timeout=60)
    assert final.returncode == 0, stderr
    assert stdout.startswith("done ")
    written, skipped = map(int, stdout.split()[1:])
    assert written + skipped == COUNT and skipped >= len(seen)
    assert kills_mid_run >= KILLS - 1
    assert time.monotonic() - started < 60

    reference = ScriptedAdapter()
    with Store(folder, create=False) as store:
        assert store._query("PRAGMA integrity_check") == [("ok",)]
        assert store.verify() == []
        distinct = "SELECT DISTINCT model, unit, turn_key, sample FROM answers"
        rows = store._query(f"SELECT (SELECT COUNT(*) FROM answers), (SELECT COUNT(*) FROM ({distinct}))")
        assert rows == [(COUNT, COUNT)]
        for index in range(COUNT):
            req = expected_request(index)
            stored = store.get(AnswerKey.of(req))
            assert stored is not None, f"answer {index} lost"
            # after its transient failure a key gets the default reply, as in one clean run
            (expected,) = reference.run_turns([req])
            assert answer_digest(stored.result) == answer_digest(expected), index
        transient = [e for e in store.errors() if e.result.transient]
        assert len(transient) >= len(range(0, COUNT, 7))


@pytest.mark.parametrize("synchronous", ["normal", "full"])
def test_put_overhead_per_answer(tmp_path, synchronous):
    """Committing one text answer per transaction stays well under the runner's 2 ms budget."""
    requests = [expected_request(index) for index in range(1, 200) if index % 5]
    adapter = ScriptedAdapter()
    results = adapter.run_turns(requests)
    with Store(tmp_path / synchronous, synchronous=synchronous) as store:
        started = time.perf_counter()
        for req, result in zip(requests, results, strict=True):
            store.put(req, result)
        per_answer = (time.perf_counter() - started) / len(requests)
    print(f"put overhead ({synchronous}): {per_answer * 1e3:.3f} ms per answer")
    assert per_answer < 0.02  # generous bound for a shared CI machine
