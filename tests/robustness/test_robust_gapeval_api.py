"""Malformed input to gapeval's public functions raises the documented :class:`GapevalError` subclass.

``gap_score`` and ``standardize_responses`` (the long table), the file readers, the spec parsers,
the run configuration, the retry policy, the bank loader and the adapter registry: each case names
the class it must raise (exactly that class or a subclass, never a raw library exception) and the
words that locate the problem. Nothing is fitted or run, so the file takes seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapeval.adapters.base import AdapterOptionError
from gapeval.adapters.registry import UnknownAdapterError, create_adapter
from gapeval.bank import load_bank
from gapeval.bank.io import BankError
from gapeval.calls import CallPolicy
from gapeval.decay import DecayError, decay, simulate_decay
from gapeval.errors import GapevalError
from gapeval.files import read_table, read_text
from gapeval.gap.score import gap_score
from gapeval.model_spec import ModelSpecError, parse_model_spec
from gapeval.protocols.spec import ProtocolSpecError, parse_protocol_spec
from gapeval.responses import standardize_responses
from gapeval.runner.config import ConfigError, RunConfig, load_config, parse_shard
from gapeval.scoring.agreement import cohen_kappa, pearson, spearman
from gapeval.scoring.alpha import krippendorff_alpha


DECAY = simulate_decay(num_models=2, num_sessions=2, num_turns=3, seed=0)[0]


def table(n_items: int = 3) -> pd.DataFrame:
    """Two models, ``n_items`` pairs, both directions: a valid long table."""
    rows = [
        {"model": m, "item": f"q{i}-{d[0]}", "pair": f"q{i}", "direction": d, "score": (i + k) % 2}
        for k, m in enumerate(["m1", "m2"]) for i in range(n_items) for d in ("understanding", "generation")
    ]
    return pd.DataFrame(rows)


def with_cell(column: str, value: object, row: int = 0) -> pd.DataFrame:
    frame = table().astype({column: object})
    frame.at[row, column] = value
    return frame


GAP_CASES = [
    ([1, 2], {}, "responses must be a pandas DataFrame \\(the long table\\), got list"),
    (table().drop(columns="score"), {}, "column 'score' \\(the score column\\) is not in the responses table"),
    (table().iloc[:0], {}, "the responses table is empty"),
    (with_cell("direction", "sideways"), {}, "column 'direction' has values 'sideways' in rows \\[0\\]"),
    (with_cell("score", 3), {}, "values \\[3.0\\] outside \\[0, 1\\] in rows \\[0\\]"),
    (with_cell("score", "right"), {}, "non-numeric values \\['right'\\] in rows \\[0\\]"),
    (with_cell("score", np.nan), {}, "column 'score' is missing in rows \\[0\\]"),
    (with_cell("score", np.inf), {}, "infinite values in rows \\[0\\]"),
    (with_cell("score", 0.5), {}, "fractional values \\[0.5\\]"),
    (with_cell("score", {"value": 1}), {}, "column 'score' holds dict values in rows \\[0\\]"),
    (table().astype({"score": complex}), {}, "column 'score' holds complex values"),
    (with_cell("model", {"name": "m"}), {}, "column 'model' holds dict values in rows \\[0\\]"),
    (with_cell("item", ["q0"]), {}, "column 'item' holds list values in rows \\[0\\]"),
    (with_cell("pair", {"q0"}), {}, "column 'pair' holds set values in rows \\[0\\]"),
    (with_cell("model", None), {}, "column 'model' is missing in rows \\[0\\]"),
    (pd.concat([table(), table().iloc[:1]]), {}, "2 rows repeat a \\('model', 'item'\\) pair, e.g. \\('m1', 'q0-u'\\)"),
    (table(1), {}, "needs at least two items of one direction .* one pair is not enough"),
    (table(1)[table(1)["model"] == "m1"], {}, "one pair is not enough"),
    (table().drop(columns="pair"), {}, "scale='paired' needs the pair column"),
    (table(), {"seed": "abc"}, "seed='abc' must be an integer from 0 to 2\\*\\*63 - 1"),
    (table(), {"seed": -3}, "seed=-3 must be an integer from 0"),
    (table(), {"seed": 1.0}, "seed=1.0 must be an integer from 0"),
    (table(), {"level": 2}, "level=2 must lie strictly between 0 and 1"),
    (table(), {"level": "0.9"}, "level='0.9' must lie strictly between 0 and 1"),
    (table(), {"points": 0}, "points=0 must be a positive integer"),
    (table(), {"points": "2"}, "points='2' must be a positive integer"),
    (table(), {"threshold": "x"}, "threshold='x' must lie in \\(0, 1\\]"),
    (table(), {"threshold": 1.5}, "threshold=1.5 must lie in \\(0, 1\\]"),
    (table(), {"method": "irt"}, "method='irt' is not one of"),
    (table(), {"scale": "logit"}, "scale='logit' is not one of"),
    (table(), {"inference": "map"}, "inference='map'"),
    (table(), {"num_samples": 0}, "num_samples=0 must be a positive integer"),
    (table(), {"num_steps": "many"}, "num_steps='many' must be a positive integer"),
    (table(), {"target_accept_prob": 1.0}, "target_accept_prob=1.0 must lie strictly between 0 and 1"),
]


@pytest.mark.parametrize(("frame", "kwargs", "message"), GAP_CASES)
def test_gap_score_names_the_problem_before_fitting(frame, kwargs, message):
    with pytest.raises(GapevalError, match=message):
        gap_score(frame, **{"inference": "svi", **kwargs})


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.floats(allow_nan=False).filter(lambda v: not 0 <= v <= 1), st.text(min_size=1),
                 st.complex_numbers(allow_nan=False).filter(lambda z: z.imag != 0),
                 st.dictionaries(st.text(max_size=3), st.integers(), min_size=1)))
def test_any_score_outside_0_1_is_named_by_the_long_table(bad):
    if isinstance(bad, str):
        try:
            if 0 <= float(bad) <= 1:
                return
        except ValueError:
            pass
    frame = with_cell("score", bad, row=3)
    with pytest.raises(GapevalError, match="column 'score' (has|holds|is missing)"):
        standardize_responses(frame, pair="pair", scores="binary")


@pytest.fixture
def files(tmp_path) -> Path:
    (tmp_path / "latin.csv").write_bytes(b"model,item,direction,score\nm1,q1,understanding,1\nm\xe9,q2,generation,0\n")
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3,4,5\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    (tmp_path / "notes.txt").write_text("a,b\n")
    (tmp_path / "config.toml").write_bytes(b'seed = 1\nbank = "\xff"\n')
    (tmp_path / "folder.csv").mkdir()
    return tmp_path


@pytest.mark.parametrize(("name", "message"), [
    ("latin.csv", "'.*latin.csv' is not UTF-8 text: byte 0xe9 at line 3, column 2; save it as UTF-8"),
    ("ragged.csv", "'.*ragged.csv' is not a well-formed CSV at line 3"),
    ("empty.csv", "'.*empty.csv' is empty"),
    ("broken.parquet", "'.*broken.parquet' is not a readable Parquet file"),
    ("notes.txt", "cannot read table '.*notes.txt': use a .csv or .parquet file"),
    ("missing.csv", "'.*missing.csv' does not exist"),
    ("folder.csv", "'.*folder.csv' is a folder; give a file"),
])
def test_read_table_names_the_file_and_the_place(files, name, message):
    with pytest.raises(GapevalError, match=message):
        read_table(files / name)


def test_text_and_config_files_that_are_not_utf8_are_named_with_line_and_column(files):
    with pytest.raises(GapevalError, match="'.*config.toml' is not UTF-8 text: byte 0xff at line 2, column 9"):
        read_text(files / "config.toml", what="config file")
    with pytest.raises(ConfigError, match="config file '.*config.toml' is not UTF-8 text: byte 0xff at line 2"):
        load_config(files / "config.toml")


@pytest.mark.parametrize(("text", "error", "message"), [
    ("", ModelSpecError, "names no adapter"),
    ("simulated:theta", ModelSpecError, "option 'theta' has no value"),
    ("simulated:a=1,a=2", ModelSpecError, "option 'a' is given twice"),
    ("simulated:=3", ModelSpecError, "option '=3' has no value"),
])
def test_model_specs(text, error, message):
    with pytest.raises(error, match=message):
        parse_model_spec(text)


@pytest.mark.parametrize(("text", "message"), [
    ("magic", "unknown kind 'magic'; choose one of"),
    ("best-of-n:n=0", "n: Input should be greater than or equal to 1"),
    ("best-of-n:n=abc", "n: Input should be a valid integer"),
])
def test_protocol_specs(text, message):
    with pytest.raises(ProtocolSpecError, match=message):
        parse_protocol_spec(text)


@pytest.mark.parametrize(("fields", "message"), [
    ({"samples": 0}, "RunConfig: samples: Input should be greater than or equal to 1"),
    ({"seed": "abc"}, "RunConfig: seed: Input should be a valid integer"),
    ({"history": "later"}, "RunConfig: history: Input should be 'bank', 'self' or 'gold'"),
    ({"models": ()}, "RunConfig: models: a run needs at least one model"),
])
def test_run_config_fields_are_named(fields, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig(**{"models": (parse_model_spec("scripted"),), **fields})


@pytest.mark.parametrize("text", ["3/2", "a/b", "0/4", "1"])
def test_shards(text):
    with pytest.raises(ConfigError, match=f"--shard '{text}': write k/n with 1 <= k <= n"):
        parse_shard(text)


@pytest.mark.parametrize("fields", [{"max_wait_s": -1}, {"max_wait_s": 0}, {"max_call_s": -5}])
def test_retry_caps_must_be_positive(fields):
    with pytest.raises(GapevalError, match="max_wait_s and max_call_s must be positive seconds"):
        CallPolicy(**fields)


def test_adapters_are_named_by_the_registry():
    with pytest.raises(UnknownAdapterError, match="unknown adapter 'nope'; known: "):
        create_adapter("nope", {})
    with pytest.raises(AdapterOptionError, match="adapter 'scripted' has no option 'colour'; valid options"):
        create_adapter("scripted", {"colour": "red"})


@pytest.mark.parametrize(("content", "message"), [
    (b'{"id": 1}\n', "bank.jsonl:1: "),
    (b'{"record": "item", \n', "bank.jsonl:1: "),
    (b"\xff\xfe{}\n", "bank.jsonl:1: not UTF-8 text"),
    (("[" * 100_000 + "]" * 100_000 + "\n").encode(), "bank.jsonl:1: the JSON is nested too deeply"),
])
def test_bank_lines_are_named_by_file_and_line(tmp_path, content, message):
    (tmp_path / "bank.jsonl").write_bytes(content)
    with pytest.raises(BankError, match=message):
        load_bank(tmp_path)


def test_a_missing_bank_is_named(tmp_path):
    with pytest.raises(BankError, match="does not exist; pass a bank folder holding bank.jsonl"):
        load_bank(tmp_path / "nope")
    (tmp_path / "bank.jsonl").write_text(json.dumps({"record": "item"}) + "\n")
    with pytest.raises(BankError, match="bank.jsonl:1: "):
        load_bank(tmp_path)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: pearson([1], [2]), "need at least 2 units rated by both raters, got 1"),
    (lambda: pearson([1, 2, 3], [2, 3]), "different lengths \\(3 and 2\\)"),
    (lambda: pearson(["a", "b", "c"], [1, 2, 3]), "rater a has non-numeric values \\['a', 'b', 'c'\\]"),
    (lambda: spearman([1, 2, 3], [1j, 2, 3]), "rater b has non-numeric values \\['1j'\\] at positions \\[0\\]"),
    (lambda: pearson([{"a": 1}, 2, 3], [1, 2, 3]), "rater a has non-numeric values"),
    (lambda: pearson([1, 2, 3, 4], [1, 3, 2, 4], seed="abc"), "seed='abc' must be an integer from 0"),
    (lambda: pearson([1, 2, 3, 4], [1, 3, 2, 4], n_boot=-1), "n_boot must be a non-negative integer, got -1"),
    (lambda: pearson([1, 2, 3, 4], [1, 3, 2, 4], level="0.9"), "level must lie strictly between 0 and 1"),
    (lambda: cohen_kappa([1, 1, 1], [1, 1, 1]), "Cohen's kappa is undefined"),
    (lambda: krippendorff_alpha([[1, 2, 3]], metric="interval"), "at least 2 coders, got shape \\(1, 3\\)"),
    (lambda: krippendorff_alpha([[1, 2], [1, 2]], metric="magic"), "unknown metric 'magic'"),
    (lambda: krippendorff_alpha([["a", 2], [1, 2]], metric="interval"), "interval alpha needs numbers, got \\['a'\\]"),
    (lambda: krippendorff_alpha([[1, 2], [2, 1]], seed=-1), "seed=-1 must be an integer from 0"),
])
def test_agreement_statistics_name_bad_ratings_and_settings(call, message):
    with pytest.raises(GapevalError, match=message):
        call()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: decay([1, 2]), "responses must be a pandas DataFrame, got list"),
    (lambda: decay(DECAY.assign(score=[{"a": 1}] + list(DECAY.score[1:]))), "column 'score' holds dict values"),
    (lambda: decay(DECAY.assign(score=DECAY.score.astype(complex))), "column 'score' holds complex values"),
    (lambda: decay(DECAY.assign(turn=["x"] + list(DECAY.turn[1:]))), "column 'turn' \\(turn\\) has missing or "
     "non-numeric values \\['x'\\] in rows \\[0\\]"),
    (lambda: decay(DECAY, seed="abc"), "seed='abc' must be an integer from 0"),
    (lambda: simulate_decay(seed="abc"), "seed='abc' must be an integer from 0"),
])
def test_decay_names_bad_tables_and_seeds_before_fitting(call, message):
    with pytest.raises(DecayError, match=message):
        call()
