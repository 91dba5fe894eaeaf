"""Importers on fixtures in the anchors' real layouts (tests/fixtures/anchors): fields, keys, quirks, counts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gapeval.bank.importers import import_gapeval, import_imug, import_realunify, save_imported
from gapeval.bank.io import BankError, load_bank
from gapeval.bank.schema import BankImage, BankText, JudgedMcqAnswer, McqAnswer, PointsAnswer, VerifierAnswer

ANCHORS = Path(__file__).parents[2] / "fixtures" / "anchors"


def copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(ANCHORS / name, tmp_path / name))


def jsonl_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_rows(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


# --- GapEval ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gapeval_bank():
    return import_gapeval(ANCHORS / "gapeval")


def test_gapeval_counts_and_skips(gapeval_bank):
    counts = gapeval_bank.counts()
    assert {k: counts[k] for k in ("items", "pairs", "understanding", "generation", "images", "skipped")} == {
        "items": 10, "pairs": 5, "understanding": 5, "generation": 5, "images": 9, "skipped": 3}
    reasons = {Path(note.where).parent.name if note.where.endswith(".json") else Path(note.where).name: note.reason
               for note in gapeval_bank.skipped}
    assert "without an image in image/ or inage/" in reasons["data_6"]
    assert reasons["data_7"] == "no prompt.json; the authors' loaders cannot read this folder"
    assert "category 'geometry' is none of GapEval's" in reasons["data_8"]
    assert gapeval_bank.report().startswith("read 10 items, 5 pairs, 0 dialogues")


def test_gapeval_fields_images_and_categories(gapeval_bank, tmp_path):
    items = {item.id: item for item in gapeval_bank.records}
    # data_1: prompt.json wrapped in a list; an edit task shows its input image to the generation form
    und, gen = items["gapeval-1-und"], items["gapeval-1-gen"]
    assert und.pair == gen.pair == "gapeval-1" and und.category == "numerical_perception"
    assert und.subtask == "Animals Counting" and und.params["category"] == "counting"
    assert gen.prompt == (BankImage(path="data_1/image/sofa.png"),
                          BankText(text="Edit the picture so that exactly three cats sit on the sofa."))
    assert gen.reference == "data_1/ref/three_cats.png"
    assert und.answer == PointsAnswer(points=("agrees with the reference answer: 3",))
    assert und.params["judge_templates"] == {"text": "counting_text_animal_eval.yaml",
                                             "image": "counting_image_animal_eval.yaml"}
    # data_2: Multi Hop draws from text; the reference list is joined as the judge joins it
    multi = items["gapeval-2-gen"]
    assert multi.category == "world_knowledge" and multi.prompt == (BankText(text=multi.prompt[0].text),)
    assert multi.reference == "data_2/ref/eiffel.png" and multi.params["task"] == "image_generation"
    assert multi.answer.points == ("shows the reference answer: the Eiffel Tower\na wrought-iron lattice tower",)
    assert len(items["gapeval-2-und"].prompt) == 1
    # data_3: the input image sits in the misspelt inage/ folder
    assert items["gapeval-3-gen"].prompt[0] == BankImage(path="data_3/inage/grid.png")
    assert items["gapeval-3-und"].category == "instruction_following"
    # data_4: physics, with `problem` for the question and `img` / `expect_image` naming the images
    physics = items["gapeval-4-und"]
    assert physics.prompt[-1].text == "A ball rolls off the table. Where does it land?"
    assert physics.prompt[0] == BankImage(path="data_4/setup.png") and physics.category == "reasoning"
    assert items["gapeval-4-gen"].reference == "data_4/landing.png"
    # data_5: reasoning takes its reference image from ref/ only
    assert items["gapeval-5-gen"].reference == "data_5/ref/answer.png"
    assert items["gapeval-5-und"].params["judge_templates"]["balance"] == "mmmu_mmlu_reasoning_image_text_balance.yaml"
    bank = load_bank(save_imported(gapeval_bank, tmp_path / "out"))
    assert len(bank.items) == 10 and bank.open_image("data_3/inage/grid.png").size == (8, 8)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", r"data_1/prompt\.json: the list is empty"),
        ('{"category": "counting",\n "und_prompt": "x", ', r"data_1/prompt\.json:2: malformed JSON"),
        ('{"category": "counting", "und_prompt": "x"}', r"data_1/prompt\.json field 'gen_prompt' is missing"),
        ('{"category": "counting", "gen_prompt": "y"}', r"field 'und_prompt' \(or 'problem'\) is missing or empty"),
        ('[3]', r"data_1/prompt\.json entry 0: expected a JSON object, found a number"),
        ('{"category": 7}', r"field 'category' should be a string, found a number: 7"),
        ('{"category": "counting", "und_prompt": "x", "gen_prompt": "y", "reference": {"a": 1}}',
         r"field 'reference' should be a string or a list"),
    ],
)
def test_gapeval_errors_name_file_line_and_field(tmp_path, text, message):
    root = copy("gapeval", tmp_path)
    (root / "data_1" / "prompt.json").write_text(text)
    with pytest.raises(BankError, match=message):
        import_gapeval(root)


# --- IMUG-Bench ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def imug_bank():
    return import_imug(ANCHORS / "imug")


def test_imug_counts(imug_bank):
    counts = imug_bank.counts()
    assert {k: counts[k] for k in ("dialogues", "turns", "understanding", "generation", "dynamic turns",
                                   "verified turns", "images", "distinct sample ids")} == {
        "dialogues": 5, "turns": 14, "understanding": 7, "generation": 7, "dynamic turns": 4,
        "verified turns": 2, "images": 2, "distinct sample ids": 2}
    caveats = [note.reason for note in imug_bank.caveats]
    assert len(caveats) == 2 and "written without separators" in caveats[0]
    assert "has no row in dynamic_references.jsonl" in caveats[1]


def test_imug_keys_are_domain_subdomain_sample(imug_bank):
    dialogues = {d.id: d for d in imug_bank.records}
    # sample id "1" in four subdomains: four dialogues, and no reference leaks between them
    assert sorted(dialogues) == [
        "imug-Apparel-background_replacement-1", "imug-Apparel-garment_replacement-1",
        "imug-Botany-natural_growth-1", "imug-Color_Reasoning-liquid_color_mixing-2",
        "imug-Geometric_Coloring-cubes_coloring-1"]
    background = dialogues["imug-Apparel-background_replacement-1"]
    cubes = dialogues["imug-Geometric_Coloring-cubes_coloring-1"]
    assert background.turns[2].answer.source_turns == (1,) and cubes.turns[2].answer.source_turns == (2,)
    assert background.params["image_references"] == {
        "1": [{"turn": 1, "source": "input"}],
        "4": [{"turn": 1, "source": "input"}, {"turn": 1, "source": "output"}]}
    assert dialogues["imug-Apparel-garment_replacement-1"].params["image_references"] == {
        "2": [{"turn": 2, "source": "input"}]}
    assert dialogues["imug-Botany-natural_growth-1"].params["image_references"] == {}


def test_imug_turn_fields(imug_bank):
    dialogues = {d.id: d for d in imug_bank.records}
    background = dialogues["imug-Apparel-background_replacement-1"]
    first = background.turns[0]
    assert first.direction == "generation" and first.subtask == "background_replacement"
    assert first.prompt == (BankText(text="Replace the background with a beach."),
                            BankImage(path="images/Apparel__background_replacement__1__img_0.jpg"))
    assert first.answer == PointsAnswer(points=("the person is unchanged", "the background is a beach"))
    assert background.turns[1].answer == McqAnswer(options=("red", "blue", "green", "white"), correct=("B",))
    assert background.params["class"] == "Static Spatial"
    assert background.params["system_prompt"] == "You are a helpful assistant that can draw."
    botany = dialogues["imug-Botany-natural_growth-1"]
    dynamic = botany.turns[1].answer
    assert isinstance(dynamic, JudgedMcqAnswer) and dynamic.fixed == ("A",) and dynamic.multiple
    assert dynamic.options == ("roots", "a stem", "leaves", "a flower", "fruit", "seeds", "thorns")
    assert botany.params["class"] == "Temporal Causal"
    garment = dialogues["imug-Apparel-garment_replacement-1"]
    assert garment.turns[0].answer.correct == ("A", "C") and len(garment.turns[0].answer.options) == 7
    mixing = dialogues["imug-Color_Reasoning-liquid_color_mixing-2"]
    assert mixing.turns[1].answer.correct == ("A", "C")          # "AC", with a caveat
    assert mixing.turns[2].answer.source_turns == (1, 2) and not mixing.turns[2].answer.multiple
    cubes = dialogues["imug-Geometric_Coloring-cubes_coloring-1"]
    assert cubes.turns[0].answer == VerifierAnswer(
        verifier="imug_grid", params={"grid": [["1", "0", "0"], ["0", "0", "0"], ["0", "0", "1"]], "points": 2},
        points=("a grid is drawn", "the cubes are placed"))
    assert cubes.turns[1].answer.params["points"] == 4


def test_imug_reads_the_repository_root_or_data_and_saves(imug_bank, tmp_path):
    from_data = import_imug(ANCHORS / "imug" / "data")
    assert from_data.records == imug_bank.records
    bank = load_bank(save_imported(imug_bank, tmp_path / "out"))
    assert len(bank.dialogues) == 5 and sum(len(d.turns) for d in bank.dialogues) == 14
    root = copy("imug", tmp_path)
    (root / "config" / "domain_classes.json").unlink()
    plain = import_imug(root)
    assert {d.params["class"] for d in plain.records} == {"Unassigned"}
    assert "config/domain_classes.json not found" in plain.lost[-1]


def _edit_benchmark(root: Path, change) -> None:
    path = root / "data" / "benchmark.jsonl"
    rows = jsonl_rows(path)
    change(rows)
    write_rows(path, rows)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows[1]["tasks"][1].update(turn=3),
         r"benchmark\.jsonl:2 field 'tasks\[1\]\.turn' is 3 at position 2"),
        (lambda rows: rows[0]["tasks"][0].update(modality="video"),
         r"benchmark\.jsonl:1 field 'tasks\[0\]\.modality' is 'video'; use text or image"),
        (lambda rows: rows[2]["tasks"][1]["input"][1].update(image="missing.jpg"),
         r"benchmark\.jsonl:3 field 'tasks\[1\]\.input\[1\]\.image' names 'missing\.jpg', which is not a file"),
        (lambda rows: rows.append(dict(rows[0])), r"benchmark\.jsonl:6: sample \('Apparel', 'background_replacement', "
                                                  r"'1'\) repeats line 1"),
        (lambda rows: rows[0]["tasks"][1]["output"].update(answer="maybe"),
         r"field 'tasks\[1\]\.output\.answer' is 'maybe': no option letter A-G"),
        (lambda rows: rows[1].update(sample_id=[1]), r"benchmark\.jsonl:2 field 'sample_id' should be a string or an "
                                                     r"integer id"),
        (lambda rows: rows[0]["tasks"][0]["output"].update(evaluation_points=[]),
         r"field 'tasks\[0\]\.output\.evaluation_points' is an empty list"),
    ],
)
def test_imug_errors_name_file_line_and_field(tmp_path, change, message):
    root = copy("imug", tmp_path)
    _edit_benchmark(root, change)
    with pytest.raises(BankError, match=message):
        import_imug(root)


def test_imug_dynamic_reference_to_a_later_turn_is_refused(tmp_path):
    root = copy("imug", tmp_path)
    path = root / "data" / "dynamic_references.jsonl"
    rows = jsonl_rows(path)
    rows[0]["ref_turn_idxs"] = [3]
    write_rows(path, rows)
    with pytest.raises(BankError, match=r"dynamic_references\.jsonl:1 field 'ref_turn_idxs\[0\]' is 3; a dynamic "
                                        r"turn can only be resolved from earlier turns \(1 to 2\)"):
        import_imug(root)


# --- RealUnify ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def realunify_bank():
    return import_realunify(ANCHORS / "realunify")


def test_realunify_direct_and_step_files_together(realunify_bank, tmp_path):
    counts = realunify_bank.counts()
    assert {k: counts[k] for k in ("items", "pairs", "understanding", "generation", "images")} == {
        "items": 8, "pairs": 0, "understanding": 4, "generation": 4, "images": 2}
    items = {item.id: item for item in realunify_bank.records}
    assert sorted(items) == [
        "realunify-geu-direct-mental_reconstruction-0", "realunify-geu-direct-mental_tracking-1",
        "realunify-geu-step-mental_reconstruction-0", "realunify-geu-step-mental_tracking-1",
        "realunify-ueg-direct-commonsense_reasoning-1", "realunify-ueg-direct-mathematical_reasoning-0",
        "realunify-ueg-step-commonsense_reasoning-1", "realunify-ueg-step-mathematical_reasoning-0"]
    direct, step = items["realunify-geu-direct-mental_reconstruction-0"], items["realunify-geu-step-mental_reconstruction-0"]
    assert direct.params["question"] == step.params["question"] == "geu-mental_reconstruction-0"
    assert direct.prompt == (BankImage(path="images/shuffled_0.png"),
                             BankText(text="The image is cut into shuffled tiles. What is shown?"))
    assert direct.answer == McqAnswer(options=("a cat", "a dog", "a horse", "a bird", "a fish"), correct=("E",))
    assert step.params["edit_prompt"] == "Put the tiles back in order." and step.params["protocol"] == "step"
    ueg = items["realunify-ueg-step-commonsense_reasoning-1"]
    assert ueg.direction == "generation" and ueg.params["new_prompt"].startswith("Rewrite as a drawing prompt")
    assert ueg.answer.points == ("Is the snowman melted? (expected: Yes)", "Is there sand? (expected: yes)")
    assert "2 understanding item(s) have a key after D" in realunify_bank.caveats[0].reason
    assert len(load_bank(save_imported(realunify_bank, tmp_path / "out")).items) == 8


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("GEU_direct.json", lambda rows: rows[1].update(answer="F"),
         r"GEU_direct\.json entry 1 field 'answer' is 'F'; with 3 options it must be one of A, B, C"),
        ("GEU_direct.json", lambda rows: rows[0].update(input_image="images/none.png"),
         r"GEU_direct\.json entry 0 field 'input_image' names 'images/none\.png', which is not a file"),
        ("GEU_direct.json", lambda rows: rows[1].update(index=0, task_type="mental_reconstruction"),
         r"GEU_direct\.json entry 1: duplicate id 'realunify-geu-direct-mental_reconstruction-0'"),
        ("UEG_direct.json", lambda rows: rows[0]["question_list"][1].update(answer="maybe"),
         r"UEG_direct\.json entry 0 field 'question_list\[1\]\.answer' is 'maybe'; use yes or no"),
        ("UEG_direct.json", lambda rows: rows[1].pop("task_type"),
         r"UEG_direct\.json entry 1 field 'task_type' is missing"),
        ("GEU_direct.json", lambda rows: rows[0].update(option=["a", None]),
         r"GEU_direct\.json entry 0 field 'option\[1\]' should be an option text"),
    ],
)
def test_realunify_errors_name_file_entry_and_field(tmp_path, file, change, message):
    root = copy("realunify", tmp_path)
    rows = json.loads((root / file).read_text())
    change(rows)
    (root / file).write_text(json.dumps(rows))
    with pytest.raises(BankError, match=message):
        import_realunify(root)


def test_importers_name_the_missing_source(tmp_path: Path) -> None:
    with pytest.raises(BankError, match=r"no UEG_\*\.json or GEU_\*\.json files"):
        import_realunify(tmp_path)
    with pytest.raises(BankError, match="benchmark.jsonl does not exist"):
        import_imug(tmp_path)
    with pytest.raises(BankError, match="no data_<id> folders"):
        import_gapeval(tmp_path)
