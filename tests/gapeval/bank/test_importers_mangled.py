"""No importer failure escapes as anything but BankError: mangled records of every source file, for the bank
importers and the results importers."""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapeval.bank.importers import IMPORTERS, save_imported
from gapeval.bank.io import BankError, load_bank
from gapeval.responses import standardize_responses
from gapeval.results_import import IMPORTERS as RESULTS

ANCHORS = Path(__file__).parents[2] / "fixtures" / "anchors"

#: format -> the source files to mangle (relative to the fixture root), each JSON or JSONL.
FILES = {
    "gapeval": ["data_1/prompt.json", "data_4/prompt.json", "data_2/prompt.json"],
    "imug": ["data/benchmark.jsonl", "data/dynamic_references.jsonl", "data/image_references.jsonl",
             "data/grid_gt/Geometric_Coloring__cubes_coloring__1.jsonl", "config/domain_classes.json"],
    "realunify": ["UEG_direct.json", "UEG_step.json", "GEU_direct.json", "GEU_step.jsonl"],
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", " ", "A", "AC", "<DYNAMIC>", "A+<DYNAMIC>", "image", "text", "1", "../x.png",
                       "images/shuffled_0.png", "yes", "r", "g", "0"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["text", "image", "turn", "answer", "refs", "grid", "option"]), children, max_size=3),
    max_leaves=6,
)


def _paths(node, prefix=()):
    """Every path to a value inside a JSON document."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _mangle(document, path, action, value):
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


def _load(path: Path):
    text = path.read_text()
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


def _dump(path: Path, document) -> None:
    if path.suffix == ".jsonl" and isinstance(document, list):
        path.write_text("".join(json.dumps(row) + "\n" for row in document))
    else:
        path.write_text(json.dumps(document))


#: results case -> (the folder or file imported, relative to the fixture root; options; files to mangle;
#: files removed first).
JANUS_IMUG = "imug/outputs/model_outputs/janus"
RESULT_FILES = {
    "gapeval": ("gapeval", {}, ["gapeval/data_1/janus/new_res.json", "gapeval/data_3/janus/new_res.json",
                                "gapeval/data_5/janus/new_res.json", "gapeval/data_1/prompt.json"], []),
    "gapeval proportions": ("gapeval/proportions.json", {"pairs": 4}, ["gapeval/proportions.json"], []),
    "imug": ("imug/outputs", {}, ["imug/outputs/bagel/score_mcq/bagel_mcq_score.jsonl",
                                  "imug/outputs/janus/score_img/janus_img_score.jsonl"], []),
    "imug replies": ("imug", {}, [f"{JANUS_IMUG}/Apparel/background_replacement/question_1/result.json",
                                  f"{JANUS_IMUG}/Botany/natural_growth/question_1/result.json",
                                  "imug/outputs/janus/dynamic_answer/janus_dynamic_answer.jsonl",
                                  "imug/data/benchmark.jsonl"], ["imug/outputs/janus/score_mcq/janus_mcq_score.jsonl"]),
    "realunify": ("realunify/results", {}, ["realunify/results/bagel_UEG_direct.json",
                                            "realunify/results/janus_GEU_direct.json",
                                            "realunify/results/janus/GEU_step.jsonl"], []),
}


def _mangle_file(data, target: Path) -> None:
    """Truncate ``target`` (plus a few random bytes), or delete or replace one value inside it."""
    if data.draw(st.booleans(), label="truncate the text"):
        text = target.read_bytes()
        cut = data.draw(st.integers(0, len(text)), label="cut")
        target.write_bytes(text[:cut] + data.draw(st.binary(max_size=3), label="tail"))
        return
    document = _load(target)
    paths = list(_paths(document))
    path = data.draw(st.sampled_from(paths), label="path")
    action = data.draw(st.sampled_from(["delete", "replace"]) if path else st.just("replace"), label="action")
    value = data.draw(json_values, label="value")
    _dump(target, _mangle(copy.deepcopy(document), path, action, value))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mangled_sources_fail_only_with_bank_error(data):
    name = data.draw(st.sampled_from(sorted(FILES)), label="format")
    relative = data.draw(st.sampled_from(FILES[name]), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(shutil.copytree(ANCHORS / name, Path(tmp) / name))
        _mangle_file(data, root / relative)
        try:
            imported = IMPORTERS[name](root)
        except BankError as error:
            assert str(error), "a BankError must say what was wrong"
            assert str(root) in str(error) or "images" in str(error), f"the error does not name the file: {error}"
            return
        # what imports must also save and load
        load_bank(save_imported(imported, Path(tmp) / "out"))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mangled_results_fail_only_with_bank_error(data):
    case = data.draw(st.sampled_from(sorted(RESULT_FILES)), label="format")
    source, options, files, removed = RESULT_FILES[case]
    relative = data.draw(st.sampled_from(files), label="file")
    top = source.split("/")[0]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(shutil.copytree(ANCHORS / top, Path(tmp) / top))
        for path in removed:
            (Path(tmp) / path).unlink()
        _mangle_file(data, Path(tmp) / relative)
        try:
            results = RESULTS[case.split()[0]](Path(tmp) / source, **options)
        except BankError as error:
            assert str(error), "a BankError must say what was wrong"
            assert str(root) in str(error), f"the error does not name the file: {error}"
            return
        # what imports is a valid long table of scores in [0, 1]
        checked = standardize_responses(results.table, pair="pair", session="session", turn="turn")
        assert checked["score"].between(0, 1).all()
