"""Merging shard stores: overlap kept once, conflicts refused, merged == unsharded."""

from __future__ import annotations

import pandas as pd
import pytest
from storekit import image_result, request, text_result

from gapeval.errors import GapevalError
from gapeval.records import TurnResult
from gapeval.store import AnswerKey, MergeConflictError, Store, merge


def all_requests():
    texts = [request(f"q{i}", sample=i % 2) for i in range(6)]
    images = [request(f"g{i}", image=True) for i in range(3)]
    turns = [request(f"d1-t{t}", session="d1", turn=t) for t in (1, 2, 3)]
    return texts + images + turns


def answer(req):
    if req.output.kind == "image":
        return image_result(req, colour=(10 * len(req.item), 0, 0))
    return text_result(req, req.item.upper())


def fill(store, requests, *, scorer="exact"):
    for req in requests:
        store.put(req, answer(req))
        store.put_score(AnswerKey.of(req), scorer, float(len(req.item) % 2))
    store.write_manifest({"bank_hash": "bank-1", "config": {"models": ["mock"]}})


def test_merged_shards_equal_an_unsharded_run(tmp_path):
    requests = all_requests()
    with Store(tmp_path / "full") as full:
        fill(full, requests)
        expected = full.to_frame()
    shard_a, shard_b = Store(tmp_path / "a"), Store(tmp_path / "b")
    fill(shard_a, requests[::2])
    fill(shard_b, requests[1::2] + requests[:3])  # overlaps shard a on identical answers
    failing = request("q9")
    shard_b.put(failing, TurnResult.failure(failing, "time-out"))
    merged = merge([shard_a, shard_b], tmp_path / "merged")
    try:
        pd.testing.assert_frame_equal(merged.to_frame(), expected)
        assert len(merged) == len(requests)
        assert [e.result.error for e in merged.errors()] == ["time-out"]
        assert merged.verify() == []
        image_answers = [a for a in merged.answers() if a.result.output.type == "image"]
        assert len(image_answers) == 3
        assert all(str(merged.path) in a.result.output.path for a in image_answers)
        manifest = merged.manifests()[-1]
        assert manifest["merged_from"] == [str(tmp_path / "a"), str(tmp_path / "b")]
        assert manifest["bank_hash"] == "bank-1" and len(manifest["shards"]) == 2
        assert len(merged.manifests()) == 3  # both shards' manifests, then the merge's
    finally:
        for store in (merged, shard_a, shard_b):
            store.close()


def test_merge_opens_paths_and_refuses_conflicting_answers(tmp_path):
    req = request("q1")
    with Store(tmp_path / "a") as a, Store(tmp_path / "b") as b:
        a.put(req, text_result(req, "A"))
        b.put(req, text_result(req, "B"))
    with pytest.raises(
        MergeConflictError,
        match=r"Store\('.*b'\) and Store\('.*a'\) hold different answers for model 'mock', "
        r"item 'q1', turn None, sample 0",
    ):
        merge([tmp_path / "a", tmp_path / "b"], tmp_path / "merged")


def test_merge_refuses_conflicting_scores(tmp_path):
    req = request("q1")
    with Store(tmp_path / "a") as a, Store(tmp_path / "b") as b:
        for store, score in ((a, 1.0), (b, 0.0)):
            store.put(req, text_result(req))
            store.put_score(req, "exact", score)
    with pytest.raises(MergeConflictError, match="with scorer 'exact', another shard as 1.0"):
        merge([tmp_path / "a", tmp_path / "b"], tmp_path / "merged")


def test_merge_refuses_different_banks_and_non_empty_targets(tmp_path):
    with Store(tmp_path / "a") as a, Store(tmp_path / "b") as b:
        a.write_manifest({"bank_hash": "one"})
        b.write_manifest({"bank_hash": "two"})
        b.put(request("q1"), text_result(request("q1")))
    with pytest.raises(MergeConflictError, match="shards were run on different banks"):
        merge([tmp_path / "a", tmp_path / "b"], tmp_path / "merged")
    with pytest.raises(GapevalError, match="already holds answers; merge into a new folder"):
        merge([tmp_path / "a"], tmp_path / "b")
    with pytest.raises(GapevalError, match="merge needs at least one store"):
        merge([], tmp_path / "merged")


def test_the_choice_logs_of_adaptive_runs_survive_a_merge(tmp_path):
    from gapeval.store.choices import StoredChoice, answered_digest

    def choice(model, step, units):
        return StoredChoice(model=model, step=step, units=units, answered_n=step,
                            answered_sha256=answered_digest([]), budget_left=10 - step)

    requests = all_requests()
    with Store(tmp_path / "a") as a, Store(tmp_path / "b") as b, Store(tmp_path / "c") as c:
        fill(a, requests[:3])
        fill(b, requests[3:6])
        fill(c, requests[3:6])
        a.put_choice(choice("m1", 0, ("q0", "q1")))
        a.put_choice(choice("m1", 1, ("q2",)))
        b.put_choice(choice("m2", 0, ("q3",)))
        b.put_choice(choice("m1", 1, ("q2",)))        # the same step logged again (a copy): kept once
        c.put_choice(choice("m2", 0, ("q4",)))        # another choice for m2's step 0
    with merge([tmp_path / "a", tmp_path / "b"], tmp_path / "merged") as merged:
        logged = [(ch.model, ch.step, ch.units, ch.budget_left) for ch in merged.choices()]
    assert logged == [("m1", 0, ("q0", "q1"), 10), ("m1", 1, ("q2",), 9), ("m2", 0, ("q3",), 10)]
    with pytest.raises(MergeConflictError, match="another choice for step 0 of model 'm2'"):
        merge([tmp_path / "b", tmp_path / "c"], tmp_path / "clash")
