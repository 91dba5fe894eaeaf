"""The choice log of adaptive runs: one append-only row per model and step, idempotent puts."""

from __future__ import annotations

import sqlite3

import pytest

from gapeval.store import Store
from gapeval.store.choices import ChoiceConflictError, StoredChoice, answered_digest


def choice(step: int = 0, units=("q1", "d1"), **changes) -> StoredChoice:
    base = dict(model="m", step=step, units=units, answered_n=1, answered_sha256=answered_digest([("q0", 1.0)]),
                budget_left=9, skipped={"q9": "its answer (points) needs a judge"})  # fmt: skip
    return StoredChoice(**{**base, **changes})


def test_a_choice_is_logged_once_and_read_back_as_put(tmp_path):
    with Store(tmp_path) as store:
        assert store.put_choice(choice()) is True
        assert store.put_choice(choice()) is False  # identical: a no-op, as a resumed run does
        assert store.put_choice(choice(1, ("q2",), model="other")) is True
        with pytest.raises(ChoiceConflictError, match=r"step 0 of model 'm' already chose \['q1', 'd1'\], not \['q2'\]"):
            store.put_choice(choice(units=("q2",)))
    with Store(tmp_path, readonly=True) as store:
        assert store.choices("m") == [choice()]
        assert [c.model for c in store.choices()] == ["m", "other"]


def test_the_log_is_append_only_and_a_store_without_it_reads_as_empty(tmp_path):
    with Store(tmp_path / "a") as store:
        store.put_choice(choice())
    connection = sqlite3.connect(tmp_path / "a" / "answers.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("DELETE FROM choices")
    connection.close()
    with Store(tmp_path / "b"):
        pass
    connection = sqlite3.connect(tmp_path / "b" / "answers.sqlite")  # as a store written before the log
    connection.execute("DROP TABLE choices")
    connection.commit()
    connection.close()
    with Store(tmp_path / "b", readonly=True) as store:
        assert store.choices() == []
