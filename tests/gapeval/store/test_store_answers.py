"""Store: keys, idempotent puts, images, error log, append-only rules, credentials."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from storekit import image_result, request, text_result

from gapeval.errors import GapevalError
from gapeval.records import TurnResult
from gapeval.store import AnswerConflictError, AnswerKey, Store, StoreSchemaError


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "run") as opened:
        yield opened


def test_text_answer_round_trip_and_keys(store):
    req = request("q1")
    result = text_result(req, "B")
    assert not store.has(req)
    assert store.put(req, result) is True
    assert store.has(req) and store.has(AnswerKey(model="mock", unit="q1"))
    assert not store.has(AnswerKey(model="mock", unit="q1", sample=1))
    stored = store.get(req)
    assert stored.request == req and stored.result == result
    assert stored.key == AnswerKey(model="mock", unit="q1", turn=None, sample=0)
    assert store.keys() == {AnswerKey(model="mock", unit="q1")}
    assert len(store) == 1


def test_dialogue_turns_and_items_have_distinct_keys(store):
    # a standalone item 'd1' and turn 1 of dialogue 'd1' do not collide
    store.put(request("d1"), text_result(request("d1")))
    turn = request("d1-t1", session="d1", turn=1)
    store.put(turn, text_result(turn))
    assert store.keys() == {
        AnswerKey(model="mock", unit="d1"),
        AnswerKey(model="mock", unit="d1", turn=1),
    }
    assert store.get(AnswerKey(model="mock", unit="d1", turn=1)).request.item == "d1-t1"


def test_same_answer_again_is_a_no_op_and_a_different_one_is_an_error(store):
    req = request("q1")
    assert store.put(req, text_result(req, "B")) is True
    # latency and usage are not part of the answer's identity
    assert store.put(req, text_result(req, "B", latency_s=9.0)) is False
    with pytest.raises(
        AnswerConflictError,
        match=r"^a different answer is already stored for model 'mock', item 'q1', turn None, "
        r"sample 0; answers are never overwritten: write to a new run folder to answer again$",
    ):
        store.put(req, text_result(req, "C"))
    assert store.get(req).result.output.text == "B"


def test_put_many_is_all_or_nothing(store):
    first, second = request("q1"), request("q2")
    store.put(first, text_result(first, "B"))
    with pytest.raises(AnswerConflictError):
        store.put_many([(second, text_result(second)), (first, text_result(first, "Z"))])
    assert store.keys() == {AnswerKey(model="mock", unit="q1")}
    assert store.put_many([(second, text_result(second))]) == [True]


def test_images_are_content_addressed_files(store):
    req = request("g1", image=True)
    result = image_result(req)
    store.put(req, result)
    sha = result.output.sha256
    path = store.path / "images" / sha[:2] / f"{sha}.png"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    assert not list(store.images.root.glob("*/.tmp-*"))
    stored = store.get(req).result.output
    assert stored.path == str(path) and stored.data is None
    assert stored.open().getpixel((3, 3)) == (200, 10, 10)
    # the same image from another answer is stored once
    other = request("g2", image=True)
    store.put(other, image_result(other))
    assert len(list(store.images.root.glob("*/*.png"))) == 1
    assert store.verify() == []
    path.write_bytes(b"corrupted")
    assert store.verify() == [f"image file {str(path)!r} does not hash to {sha}"]


def test_errors_go_to_the_log_and_leave_the_key_open(store):
    req = request("q1")
    assert store.put(req, TurnResult.failure(req, "429 Too Many Requests", transient=True)) is True
    assert store.put(req, TurnResult.failure(req, "time-out")) is True
    assert not store.has(req) and len(store) == 0
    assert [e.result.error for e in store.errors()] == ["429 Too Many Requests", "time-out"]
    assert store.put(req, text_result(req)) is True
    assert store.has(req)


def test_refused_and_unsupported_are_answers(store):
    refused, unsupported = request("q1"), request("g1", image=True)
    store.put(refused, TurnResult(request_id=refused.request_id, status="refused", error="no"))
    store.put(unsupported, TurnResult.unsupported(unsupported, "no image output"))
    assert {a.result.status for a in store.answers()} == {"refused", "unsupported"}


def test_answers_are_append_only_in_the_database(store):
    req = request("q1")
    store.put(req, text_result(req))
    with pytest.raises(sqlite3.DatabaseError, match="answers are append-only"):
        store._connection.execute("UPDATE answers SET output_text = 'Z'")
    with pytest.raises(sqlite3.DatabaseError, match="answers are append-only"):
        store._connection.execute("DELETE FROM answers")
    assert store.get(req).result.output.text == "A"


def test_database_is_in_wal_mode_and_reopens(tmp_path):
    with Store(tmp_path / "run") as store:
        store.put(request("q1"), text_result(request("q1")))
        assert store._query("PRAGMA journal_mode")[0][0] == "wal"
    with Store(tmp_path / "run", create=False) as again:
        assert len(again) == 1


def test_opening_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="no gapeval store in .*missing.*answers.sqlite"):
        Store(tmp_path / "missing", create=False)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(GapevalError, match="is a file; a store is a folder"):
        Store(tmp_path / "file.txt")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "answers.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreSchemaError, match="is not a gapeval store database"):
        Store(tmp_path / "bad")


def test_result_must_belong_to_the_request(store):
    with pytest.raises(GapevalError, match="result for request 'mock/q2/0/0' put with request 'mock/q1/0/0'"):
        store.put(request("q1"), text_result(request("q2")))


def test_credentials_in_results_never_reach_disk(tmp_path):
    secret = "sk-proj-0123456789abcdefXYZ"
    with Store(tmp_path / "run") as store:
        req = request("q1")
        result = text_result(
            req,
            raw={"api_key": secret, "headers": {"Authorization": f"Bearer {secret}"}, "id": "x"},
        )
        store.put(req, result)
        failing = request("q2")
        store.put(failing, TurnResult.failure(failing, f"401 for key {secret}"))
        assert store.get(req).result.raw == {"headers": {}, "id": "x"}
        assert store.errors()[0].result.error == "401 for key <redacted>"
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
