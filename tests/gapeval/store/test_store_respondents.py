"""Respondent fingerprints in the store: stamped answers, the change rule, merging, the v2 upgrade."""

from __future__ import annotations

import sqlite3

import pytest
from storekit import request, text_result

from gapeval.store import Store, merge
from gapeval.store.respondents import (
    RespondentChangedError,
    RespondentMixError,
    differences,
    fingerprint_digest,
    respondent_fingerprint,
)

A = respondent_fingerprint("hf-janus", {"weights": "/w/1b", "dtype": "bfloat16", "device": "cuda:0"},
                           {"config_digest": "abc", "libraries": {"torch": "2.4.0"}})  # fmt: skip
B = respondent_fingerprint("hf-janus", {"weights": "/w/1b", "dtype": "float16", "device": "cuda:1"},
                           {"config_digest": "abc", "libraries": {"torch": "2.5.0"}})  # fmt: skip


def test_the_digest_ignores_operational_settings_and_the_differences_name_the_rest():
    assert fingerprint_digest(A) == fingerprint_digest({**A, "options": {**A["options"], "device": "cpu"}})
    assert fingerprint_digest(A) != fingerprint_digest(B)
    assert differences(A, B) == [
        "identity.libraries.torch: was '2.4.0', now '2.5.0'",
        "options.dtype: was 'bfloat16', now 'float16'",
    ]
    added = respondent_fingerprint("hf-janus", {**A["options"], "max_new_tokens": 64}, A["identity"])
    assert differences(A, added) == ["options.max_new_tokens: was absent, now 64"]
    bare = respondent_fingerprint("simulated", {}, {})
    assert differences(bare, respondent_fingerprint("simulated", {"theta_understanding": 2}, {})) == [
        "options.theta_understanding: was absent, now 2"]  # not also "options: was {}, now absent"


def test_credentials_never_enter_a_fingerprint():
    fingerprint = respondent_fingerprint(
        "openai-http", {"base_url": "https://api.example.com/v1?key=AB12cd34ef56", "api_key": "sk-live-123456789"}, {}
    )
    assert fingerprint["options"] == {"base_url": "https://api.example.com/v1"}


def test_answers_carry_their_respondent_and_a_change_needs_permission(tmp_path):
    with Store(tmp_path) as store:
        assert store.register_respondent("m", A) is None
        store.put(request("q1", model="m"), text_result(request("q1", model="m")))
        with pytest.raises(RespondentChangedError, match="options.dtype: was 'bfloat16', now 'float16'"):
            store.register_respondent("m", B)
        assert store.register_respondent("m", A) is None  # the same again: nothing new recorded
        assert len(store.respondents()) == 1
        assert store.register_respondent("m", B, allow_change=True) == A
        store.put(request("q2", model="m"), text_result(request("q2", model="m")))
        digests = [row[0] for row in store._query("SELECT respondent FROM answers ORDER BY id")]
        assert digests == [fingerprint_digest(A), fingerprint_digest(B)]
        store.put_score(request("q1", model="m"), "s", 1.0)
        store.put_score(request("q2", model="m"), "s", 0.0)
        with pytest.raises(RespondentMixError):
            store.to_frame()
        assert store.to_frame(fingerprints={"m": fingerprint_digest(B)})["score"].tolist() == [0.0]
        assert len(store.steps_frame(fingerprints={"m": fingerprint_digest(A)})) == 1
        with pytest.raises(RespondentMixError, match="'other'"):
            store.to_frame(fingerprints={"other": "00"})


def test_merge_keeps_every_recorded_configuration(tmp_path):
    for index in (1, 2):
        with Store(tmp_path / f"s{index}") as shard:
            shard.register_respondent("m", A)
            req = request(f"q{index}", model="m")
            shard.put(req, text_result(req))
    with merge([tmp_path / "s1", tmp_path / "s2"], tmp_path / "merged") as merged:
        assert [r["digest"] for r in merged.respondents()] == [fingerprint_digest(A)]
        counts = merged._query("SELECT respondent, COUNT(*) FROM answers GROUP BY 1")
    assert counts == [(fingerprint_digest(A), 2)]


def test_a_version_2_store_is_upgraded_in_place_when_opened_for_writing(tmp_path):
    with Store(tmp_path) as store:
        store.put(request("q1"), text_result(request("q1")))
    connection = sqlite3.connect(tmp_path / "answers.sqlite")
    connection.execute("DROP TABLE respondents")
    connection.execute("ALTER TABLE answers DROP COLUMN respondent")
    connection.execute("UPDATE meta SET value = '2' WHERE name = 'schema_version'")
    connection.commit()
    connection.close()
    with Store(tmp_path) as store:
        assert store._query("SELECT value FROM meta WHERE name = 'schema_version'") == [("3",)]
        assert store._query("SELECT respondent FROM answers") == [(None,)]
        store.register_respondent("mock", A)
        assert len(store.to_frame(include_unscored=True)) == 1
