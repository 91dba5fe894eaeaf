"""Results importers on fixtures in the anchors' real result layouts (tests/fixtures/anchors): rows, scores, keys."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gapeval.bank.importers import import_gapeval, import_imug, import_realunify
from gapeval.bank.io import BankError
from gapeval.errors import GapevalError
from gapeval.results_import import COLUMNS, IMPORTERS, write_table
from gapeval.scoring.mcq import score_imug_mcq

ANCHORS = Path(__file__).parents[2] / "fixtures" / "anchors"


def scores(results) -> dict[tuple[str, str], float]:
    return {(row.model, row.item): row.score for row in results.table.itertuples()}


# --- GapEval ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gapeval_results():
    return IMPORTERS["gapeval"](ANCHORS / "gapeval")


def test_gapeval_judged_results_rows_and_verdicts(gapeval_results):
    # score / judge_result / "judeg_result" from raw_response / "1" / True / first image of two; output_2 and
    # lumoo are not models; bagel's data_2 image was skipped and janus's data_4 text errored (absent rows)
    assert scores(gapeval_results) == {
        ("bagel", "gapeval-1-und"): 1.0, ("bagel", "gapeval-1-gen"): 1.0,
        ("janus", "gapeval-1-und"): 1.0, ("janus", "gapeval-1-gen"): 0.0,
        ("output_1", "gapeval-1-und"): 0.0, ("output_1", "gapeval-1-gen"): 0.0,
        ("bagel", "gapeval-2-und"): 0.0, ("janus", "gapeval-2-und"): 1.0, ("janus", "gapeval-2-gen"): 1.0,
        ("bagel", "gapeval-3-und"): 0.0, ("bagel", "gapeval-3-gen"): 0.0,
        ("janus", "gapeval-3-und"): 1.0, ("janus", "gapeval-3-gen"): 1.0,
        ("bagel", "gapeval-4-und"): 1.0, ("bagel", "gapeval-4-gen"): 1.0, ("janus", "gapeval-4-gen"): 1.0,
        ("bagel", "gapeval-5-und"): 1.0, ("bagel", "gapeval-5-gen"): 1.0,
        ("janus", "gapeval-5-und"): 0.0, ("janus", "gapeval-5-gen"): 1.0,
    }  # fmt: skip
    assert list(gapeval_results.table.columns) == list(COLUMNS)
    assert gapeval_results.table["session"].isna().all() and gapeval_results.table["turn"].isna().all()
    reasons = sorted(note.reason for note in gapeval_results.skipped)
    assert len(reasons) == 4
    assert any(r.startswith("image_eval has no verdict") for r in reasons)
    assert any(r.startswith("text_eval has no verdict") for r in reasons)
    assert any(r.startswith("no prompt.json") for r in reasons) and any("'geometry'" in r for r in reasons)
    assert gapeval_results.counts() == {"models": 3, "rows": 20, "understanding": 10, "generation": 10, "items": 10,
                                        "pairs": 5, "sessions": 0, "skipped": 4}  # fmt: skip


def test_gapeval_results_share_the_bank_importers_ids_and_taxonomy(gapeval_results):
    bank = {item.id: item for item in import_gapeval(ANCHORS / "gapeval").records}
    for row in gapeval_results.table.itertuples():
        item = bank[row.item]
        assert (row.pair, row.direction, row.category, row.subtask) == (
            item.pair, item.direction, item.category, item.subtask)


def test_gapeval_proportions_give_the_rows_back():
    source = ANCHORS / "gapeval" / "proportions.json"
    results = IMPORTERS["gapeval"](source, pairs=4, categories=["counting", "physics"])
    table = results.table
    assert len(table) == 2 * 2 * 4 * 2 and table["pair"].nunique() == 8
    wide = table.pivot_table(index=["model", "category", "pair"], columns="direction", values="score")
    for model, rows in json.loads(source.read_text()).items():
        for category, row in zip(["counting", "physics"], rows, strict=True):
            both = wide.loc[(model, category)]
            cells = [((both.understanding == u) & (both.generation == g)).mean() for u, g in ((1, 1), (1, 0), (0, 1),
                                                                                              (0, 0))]
            assert cells == row
    assert "synthetic" in results.caveats[0].reason


def test_gapeval_proportions_need_pairs_that_make_whole_counts():
    source = ANCHORS / "gapeval" / "proportions.json"
    with pytest.raises(GapevalError, match="pass the number of pairs"):
        IMPORTERS["gapeval"](source)
    with pytest.raises(BankError, match=r"proportions.json field 'janus\[0\]'.*not whole counts summing to 3"):
        IMPORTERS["gapeval"](source, pairs=3)
    with pytest.raises(BankError, match=r"field 'janus' has 2 rows; give as many pair counts \(3 given\)"):
        IMPORTERS["gapeval"](source, pairs=[4, 4, 4])


# --- IMUG-Bench ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def imug_results():
    return IMPORTERS["imug"](ANCHORS / "imug")


def test_imug_scores_turns_and_sessions(imug_results):
    table = imug_results.table
    got = scores(imug_results)
    bg, botany, garment = "imug-Apparel-background_replacement-1", "imug-Botany-natural_growth-1", \
        "imug-Apparel-garment_replacement-1"
    cubes, colour = "imug-Geometric_Coloring-cubes_coloring-1", "imug-Color_Reasoning-liquid_color_mixing-2"
    # image turns: mean point score / 5; text turns: score_mcq.py's value as written
    assert got == pytest.approx({
        ("bagel", f"{bg}#1"): 0.9, ("bagel", f"{bg}#4"): 0.5, ("bagel", f"{botany}#1"): 0.8,
        ("bagel", f"{garment}#2"): 1.0, ("bagel", f"{cubes}#1"): 1.0, ("bagel", f"{cubes}#2"): 0.5,
        ("bagel", f"{colour}#1"): 0.5,
        ("janus", f"{bg}#1"): 0.6, ("janus", f"{bg}#4"): 0.2, ("janus", f"{botany}#1"): 0.6,
        ("janus", f"{garment}#2"): 0.6, ("janus", f"{cubes}#1"): 1.0, ("janus", f"{colour}#1"): 0.1,
        ("bagel", f"{bg}#2"): 1.0, ("bagel", f"{bg}#3"): 1.0, ("bagel", f"{botany}#2"): 0.0,
        ("bagel", f"{garment}#1"): 0.75, ("bagel", f"{cubes}#3"): 1.0, ("bagel", f"{colour}#2"): 0.0,
        ("janus", f"{bg}#2"): 0.5, ("janus", f"{bg}#3"): 0.0, ("janus", f"{botany}#2"): 0.0,
        ("janus", f"{garment}#1"): 0.5, ("janus", f"{cubes}#3"): 0.0, ("janus", f"{colour}#2"): 0.0,
    })  # fmt: skip
    # sample id 1 repeats across three subdomains and stays four sessions apart
    assert table["session"].nunique() == 5 and table["pair"].isna().all()
    assert ("janus", f"{cubes}#2") not in got  # never scored: an absent row, not a zero
    assert table.loc[table["item"] == f"{bg}#4", "turn"].tolist() == [4.0, 4.0]
    assert set(table.loc[table["session"] == botany, "category"]) == {"Botany"}
    assert set(table.loc[table["session"] == botany, "subtask"]) == {"natural_growth"}
    # janus's cube turn 1 is in its image score file twice (an appended re-run): the last record is kept
    assert [note.where.endswith("janus_img_score.jsonl:6") for note in imug_results.caveats] == [True]


def test_imug_mcq_scores_are_what_the_compat_scorer_gives_for_the_stored_replies(imug_results):
    # the fixture's score files hold what score_mcq.py writes for the replies in result.json: the key from
    # benchmark.jsonl, or the resolver's determined_answer for a <DYNAMIC> turn (unresolved turns are absent)
    root = ANCHORS / "imug"
    benchmark = [json.loads(line) for line in (root / "data" / "benchmark.jsonl").read_text().splitlines()]
    expected = {}
    for model in ("bagel", "janus"):
        resolved = {(r["domain"], r["subdomain"], r["sample_id"], r["turn"]): r["determined_answer"] for r in map(
            json.loads, (root / "outputs" / model / "dynamic_answer" / f"{model}_dynamic_answer.jsonl").open())}
        for sample in benchmark:
            key = (sample["domain"], sample["subdomain"], sample["sample_id"])
            result = json.loads((root / "outputs" / "model_outputs" / model / key[0] / key[1] / f"question_{key[2]}"
                                 / "result.json").read_text())
            replies = {task["turn"]: task["model_response"] for task in result["tasks"]}
            for task in sample["tasks"]:
                answer = task["output"].get("answer")
                if task["modality"] != "text" or not answer:
                    continue
                if "<DYNAMIC>" in answer and (answer := resolved.get((*key, task["turn"]))) is None:
                    continue
                value = score_imug_mcq(replies[task["turn"]], key=answer, mode="compat").value
                expected[(model, f"imug-{'-'.join(key)}#{task['turn']}")] = value
    table = imug_results.table
    got = {key: value for key, value in scores(imug_results).items()
           if key[1] in set(table.loc[table["direction"] == "understanding", "item"])}
    assert got == expected
    assert ("bagel", "imug-Botany-natural_growth-1#2") in got and got[("bagel", "imug-Botany-natural_growth-1#2")] == 0


def test_imug_results_match_the_bank_importers_dialogues(imug_results):
    dialogues = {dialogue.id: dialogue for dialogue in import_imug(ANCHORS / "imug").records}
    for row in imug_results.table.itertuples():
        turn = dialogues[row.session].turns[int(row.turn) - 1]
        assert (turn.index, turn.direction, row.item) == (row.turn, row.direction, f"{row.session}#{turn.index}")


def test_imug_finds_score_files_where_summarize_results_does(tmp_path):
    flat = tmp_path / "scores"
    flat.mkdir()
    for path in (ANCHORS / "imug" / "outputs").glob("*/score_*/*.jsonl"):
        shutil.copy(path, flat / path.name)
    assert scores(IMPORTERS["imug"](flat)) == scores(IMPORTERS["imug"](ANCHORS / "imug" / "outputs"))


def test_imug_notes_a_model_without_score_files_and_reads_numeric_strings(tmp_path):
    root = Path(shutil.copytree(ANCHORS / "imug" / "outputs", tmp_path / "outputs"))
    (root / "model_outputs" / "emu3").mkdir()
    path = root / "bagel" / "score_img" / "bagel_img_score.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["scores"] = [{"point_id": 1, "score": "3"}, {"point_id": 2}]  # a point without a score is left out
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    results = IMPORTERS["imug"](root)
    assert scores(results)[("bagel", "imug-Apparel-background_replacement-1#1")] == pytest.approx(0.6)
    # no benchmark beside outputs/ to score emu3's replies with, and no image scores
    first, second = (note.reason for note in results.skipped)
    assert first.startswith("model 'emu3' has no *_mcq_score.jsonl, and there is no ")
    assert second.startswith("model 'emu3' has no *_img_score.jsonl: its image turns need IMUG-Bench's judge")


def test_imug_scores_multiple_choice_turns_from_result_json_without_a_score_file(tmp_path, imug_results):
    root = Path(shutil.copytree(ANCHORS / "imug", tmp_path / "imug"))
    (root / "outputs" / "janus" / "score_mcq" / "janus_mcq_score.jsonl").unlink()
    results = IMPORTERS["imug"](root)
    # the same scores as score_mcq.py wrote (the fixture's file), from the replies and the resolved keys
    assert scores(results) == scores(imug_results)
    assert [note.reason for note in results.caveats][-1] == (
        "model 'janus' has no *_mcq_score.jsonl: its 6 multiple-choice turns are scored from result.json as "
        "score_mcq.py scores them")
    assert [(Path(note.where).parent.name, note.reason) for note in results.skipped] == [
        ("question_2", "turn 3: its <DYNAMIC> key was never resolved")]


@pytest.mark.parametrize(("change", "message"), [
    (lambda rows: rows[1].update(scores=[{"point_id": 1, "score": 6}]),
     r"bagel_img_score.jsonl:2 field 'scores\[0\].score' should be a number from 0 to 5, found 6"),
    (lambda rows: rows[0].pop("sample_id"), r"bagel_img_score.jsonl:1 field 'sample_id' should be a string or an integer id, found missing"),
    (lambda rows: rows[2].update(turn="two"), r"bagel_img_score.jsonl:3 field 'turn' should be an integer"),
])  # fmt: skip
def test_imug_errors_name_file_line_and_field(tmp_path, change, message):
    root = Path(shutil.copytree(ANCHORS / "imug" / "outputs", tmp_path / "outputs"))
    path = root / "bagel" / "score_img" / "bagel_img_score.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    change(rows)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(BankError, match=message):
        IMPORTERS["imug"](root)


# --- RealUnify ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def realunify_results():
    return IMPORTERS["realunify"](ANCHORS / "realunify" / "results")


def test_realunify_scores_protocols_and_the_reference_extraction(realunify_results):
    assert scores(realunify_results) == {
        # "The answer is E": the reference reads only A-D, so E is never right; "Definitely B" reads the D
        ("bagel", "realunify-geu-direct-mental_reconstruction-0"): 0.0,
        ("bagel", "realunify-geu-direct-mental_tracking-1"): 1.0,
        ("janus", "realunify-geu-direct-mental_reconstruction-0"): 0.0,
        ("janus", "realunify-geu-direct-mental_tracking-1"): 1.0,      # ["Answer: B", "C"]: prefix gone, first element
        ("janus", "realunify-geu-step-mental_reconstruction-0"): 0.0,  # janus/GEU_step.jsonl: model from the folder
        ("janus", "realunify-geu-step-mental_tracking-1"): 0.0,        # "After careful analysis ... B" reads the A
        ("bagel", "realunify-ueg-direct-commonsense_reasoning-1"): 0.0,
        ("bagel", "realunify-ueg-direct-mathematical_reasoning-0"): 1.0,
        ("bagel", "realunify-ueg-step-mathematical_reasoning-0"): 1.0,
        ("janus", "realunify-ueg-direct-mathematical_reasoning-0"): 0.0,
    }  # fmt: skip
    table = realunify_results.table.set_index(["model", "item"])
    assert table.loc[("bagel", "realunify-ueg-step-mathematical_reasoning-0"), "protocol"] == "step"
    assert table.loc[("janus", "realunify-geu-direct-mental_tracking-1"), "direction"] == "understanding"
    assert [note.reason for note in realunify_results.skipped] == ["null: the judge failed on this entry"]
    assert len(realunify_results.caveats) == 3  # three answers to the E-keyed question


def test_realunify_results_use_the_bank_importers_ids(realunify_results):
    ids = {item.id for item in import_realunify(ANCHORS / "realunify").records}
    assert set(realunify_results.table["item"]) <= ids


def test_realunify_a_model_read_twice_names_both_files(tmp_path):
    root = Path(shutil.copytree(ANCHORS / "realunify" / "results", tmp_path / "results"))
    shutil.copy(root / "bagel_GEU_direct.json", root / "bagel_GEU_direct_processed.json")
    with pytest.raises(BankError, match=r"bagel_GEU_direct_processed.json entry 0: model 'bagel' answers item "
                                        r"'realunify-geu-direct-mental_reconstruction-0' again \(first in .*"
                                        r"bagel_GEU_direct.json entry 0\)"):
        IMPORTERS["realunify"](root)


def test_realunify_notes_keys_the_reference_can_never_match(tmp_path):
    root = tmp_path / "results"
    root.mkdir()
    entries = [{"index": n, "task_type": "t", "answer": key, "response": key} for n, key in enumerate(["B", "AB", "b"])]
    (root / "m_GEU_direct.json").write_text(json.dumps(entries))
    results = IMPORTERS["realunify"](root)
    assert list(results.table["score"]) == [1.0, 0.0, 0.0]
    assert [note.where.rsplit(" ", 1)[-1] for note in results.caveats] == ["1", "2"]


def test_realunify_entries_need_an_index_and_a_kind(tmp_path):
    root = tmp_path / "results"
    root.mkdir()
    (root / "m_GEU_direct.json").write_text(json.dumps([{"task_type": "t", "answer": "A", "response": "A"}]))
    with pytest.raises(BankError, match=r"m_GEU_direct.json entry 0 field 'index' is missing"):
        IMPORTERS["realunify"](root)
    (root / "m_GEU_direct.json").write_text(json.dumps([{"index": 0, "task_type": "t"}]))
    with pytest.raises(BankError, match="neither a UEG entry"):
        IMPORTERS["realunify"](root)


# --- all ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_an_empty_folder_is_a_bank_error(tmp_path, name):
    with pytest.raises(BankError, match=str(tmp_path)):
        IMPORTERS[name](tmp_path)


def test_write_table_round_trips_csv_and_parquet_and_refuses_other_suffixes(tmp_path, imug_results):
    back = pd.read_csv(write_table(imug_results, tmp_path / "out" / "responses.csv"))
    assert list(back.columns) == list(COLUMNS) and len(back) == len(imug_results.table)
    assert back["score"].tolist() == imug_results.table["score"].tolist()
    pytest.importorskip("pyarrow")
    back = pd.read_parquet(write_table(imug_results, tmp_path / "responses.parquet"))
    pd.testing.assert_frame_equal(back, imug_results.table)
    with pytest.raises(GapevalError, match="give a .parquet or .csv file"):
        write_table(imug_results, tmp_path / "responses.xlsx")
