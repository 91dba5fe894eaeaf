"""GapEval's released layout: one ``data_<id>/`` folder per question, both directions in it.

What the authors' code reads (``port.py``, ``llm_judge_pipeline_gpt5pro_shard.py`` in
``Lucky-Wang-Chenlong/GapEval``), and what this importer does with it:

* ``prompt.json``: an object, or a list whose first element is that object (both loaders take it).
  ``category`` (five raw strings, mapped onto the four categories of the bank below),
  ``subcategory``, ``und_prompt`` (or ``problem`` when ``und_prompt`` is empty), ``gen_prompt``,
  ``reference`` (a string or a list, which the judge joins with newlines), ``img`` (the problem
  image, a path relative to the folder; the physics judge's fallback) and ``expect_image`` (its
  reference-image fallback).
* Images: the problem image is the first image of ``image/``, else of ``inage/`` (the authors'
  judge searches that misspelt folder too); the reference image is the first of ``ref/``,
  ``image/``, ``inage/`` in that order, or of ``ref/`` only for ``rule_based`` and ``reasoning``.
* ``category == "Multi Hop"``: the generation task draws from text; every other category is an
  edit of the problem image (``port.py``), which the generation item's prompt therefore shows.
  An edit task without a problem image is skipped (``port.py`` raises on it).

Each folder becomes one pair: ``gapeval-<id>-und`` (the problem image, when the task is an edit,
and the understanding prompt; the answer is judged against the reference) and ``gapeval-<id>-gen``
(the problem image for edits, and the generation prompt; judged against the reference text, with
the reference image). The raw fields, the judge's template names and the image paths are kept in
``params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gapeval.bank.importers import ImportedBank, Note
from gapeval.bank.importers._read import (
    Where, build, get_str, images_in, object_at, read_json, relative_to,
)
from gapeval.bank.io import BankError
from gapeval.bank.schema import BankImage, BankText, Item, PointsAnswer

__all__ = ["CATEGORY_MAP", "folder_taxonomy", "import_gapeval_folders", "judge_templates", "prompt_folders",
           "read_prompt"]

#: GapEval's raw ``category`` -> the category of the bank (the four of the GapEval paper, as the
#: built-in bank names them). Inferred from the judge's templates: counting questions measure
#: numerical perception, rule-based edits instruction following, multi-hop questions world knowledge
#: (the ``world_knowledge_*`` templates), physics and reasoning questions reasoning.
CATEGORY_MAP: dict[str, str] = {
    "counting": "numerical_perception",
    "rule_based": "instruction_following",
    "Multi Hop": "world_knowledge",
    "physics": "reasoning",
    "reasoning": "reasoning",
}
_REF_ONLY = ("rule_based", "reasoning")
_LICENCE = "see the GapEval release"
LOST = (
    "answers are judged by GapEval's own prompt templates (their names are kept in params); the bank "
    "judges the reference as evaluation points",
    "only the first image of each folder is used, as the authors' scripts do",
)


def judge_templates(category: str, subcategory: str | None) -> dict[str, str] | None:
    """The names of the judge templates the authors' pipeline picks (``get_prompt_config``).

    Examples
    --------
    >>> judge_templates("counting", "Animals Counting")["text"]
    'counting_text_animal_eval.yaml'
    >>> judge_templates("reasoning", "other") is None
    True
    """
    if category == "counting":
        kind = "animal" if subcategory == "Animals Counting" else "object"
        return {"text": f"counting_text_{kind}_eval.yaml", "image": f"counting_image_{kind}_eval.yaml"}
    if category == "reasoning":
        return {
            "draw": {"text": "draw_reasoning_text_eval.yaml", "image": "draw_reasoning_image_eval.yaml"},
            "mmlu/mmmu": {"text": "mmmu_mmlu_reasoning_choice_text_eval.yaml",
                          "image": "mmmu_mmlureasoning_choice_image_eval.yaml",
                          "balance": "mmmu_mmlu_reasoning_image_text_balance.yaml"},
            "puzzle": {"text": "reasoning_choice_text_eval.yaml", "image": "reasoning_choice_image_eval.yaml",
                       "balance": "reasoning_image_text_balance.yaml"},
        }.get(subcategory or "")
    stems = {"Multi Hop": "multi_hop", "physics": "physics", "rule_based": "rule_based"}
    stem = stems.get(category)
    return None if stem is None else {"text": f"{stem}_text_eval.yaml", "image": f"{stem}_image_eval.yaml"}


def read_prompt(path: Path) -> dict[str, Any]:
    """``prompt.json`` as the authors' loaders read it: an object, or a list holding it first."""
    data = read_json(path)
    if isinstance(data, list):
        if not data:
            raise BankError(f"{path}: the list is empty; put the prompt object in it")
        return object_at(data[0], f"{path} entry 0")
    return object_at(data, path)


def _first(point: Path, folders: tuple[str, ...]) -> Path | None:
    for name in folders:
        found = images_in(point / name)
        if found:
            return found[0]
    return None


def _named_image(point: Path, value: str | None) -> Path | None:
    """An image named by ``img`` / ``expect_image``: relative to the folder, used only if it exists."""
    if not value:
        return None
    path = Path(value)
    path = path if path.is_absolute() else point / path
    return path if path.is_file() else None


def _reference_text(meta: Mapping[str, Any], where: Where) -> str:
    reference = meta.get("reference")
    if isinstance(reference, list):
        return "\n".join(str(entry) for entry in reference)
    if reference is None:
        return ""
    if isinstance(reference, (dict, bool)):
        raise BankError(f"{where.field('reference')} should be a string or a list, found {reference!r:.60}")
    return str(reference)


def import_gapeval_folders(folder: str | Path) -> ImportedBank:
    """Read GapEval's ``data_<id>/`` folders under ``folder``; each becomes a pair of items.

    Raises
    ------
    BankError
        When ``folder`` holds no ``data_<id>`` folder, or a ``prompt.json`` is malformed or lacks
        ``und_prompt``/``problem`` or ``gen_prompt``; the message names the file and the field.
    """
    root = Path(folder)
    if not root.is_dir():
        raise BankError(f"{root} is not a folder; point to the folder holding GapEval's data_<id> folders")
    records: list[Item] = []
    skipped: list[Note] = []
    for point, prompt_path in prompt_folders(root, skipped):
        pair, reason = _pair(root, point, prompt_path)
        if reason is not None:
            skipped.append(Note(str(prompt_path), reason))
            continue
        records.extend(pair)
    return ImportedBank(root=root, records=tuple(records), lost=LOST, skipped=tuple(skipped))


def prompt_folders(root: Path, skipped: list[Note]) -> list[tuple[Path, Path]]:
    """``(data_<id> folder, its prompt.json)`` under ``root``, sorted; folders without one go to ``skipped``.

    Raises
    ------
    BankError
        When ``root`` holds no ``data_<id>`` folder.
    """
    points = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("data_"))
    if not points:
        raise BankError(f"{root}: no data_<id> folders; point to the folder that holds them")
    found = []
    for point in points:
        if (point / "prompt.json").is_file():
            found.append((point, point / "prompt.json"))
        else:
            skipped.append(Note(str(point), "no prompt.json; the authors' loaders cannot read this folder"))
    return found


def folder_taxonomy(point: Path, meta: Mapping[str, Any], where: Where) -> dict[str, Any] | str:
    """The pair id, category, subtask and raw subcategory of a ``data_<id>`` folder, or why it is skipped.

    Examples
    --------
    >>> folder_taxonomy(Path("data_7"), {"category": "counting"}, Where(Path("prompt.json")))["pair"]
    'gapeval-7'
    >>> folder_taxonomy(Path("data_7"), {"category": "geometry"}, Where(Path("prompt.json")))[:22]
    "category 'geometry' is"
    """
    category = get_str(meta, "category", where, required=False, allow_empty=True) or ""
    if category not in CATEGORY_MAP:
        return (f"category {category!r} is none of GapEval's {sorted(CATEGORY_MAP)}; "
                "the authors' judge has no template for it")
    subcategory = get_str(meta, "subcategory", where, required=False)
    return {"pair": f"gapeval-{point.name.removeprefix('data_')}", "category": CATEGORY_MAP[category],
            "subtask": subcategory or category, "subcategory": subcategory}  # fmt: skip


def _pair(root: Path, point: Path, prompt_path: Path) -> tuple[list[Item], str | None]:
    """The two items of one folder, or a reason to skip it."""
    meta = read_prompt(prompt_path)
    where = Where(prompt_path)
    taxonomy = folder_taxonomy(point, meta, where)
    if isinstance(taxonomy, str):
        return [], taxonomy
    category, subcategory = meta["category"], taxonomy["subcategory"]
    und_text = get_str(meta, "und_prompt", where, required=False) or get_str(meta, "problem", where, required=False)
    if und_text is None:
        raise BankError(f"{where.field('und_prompt')} (or 'problem') is missing or empty; the understanding "
                        "question needs a text")
    gen_text = get_str(meta, "gen_prompt", where)
    reference = _reference_text(meta, where)
    img = get_str(meta, "img", where, required=False)
    expect = get_str(meta, "expect_image", where, required=False)
    problem = _first(point, ("image", "inage"))
    if category == "physics" and problem is None:
        problem = _named_image(point, img)
    reference_image = _first(point, ("ref",) if category in _REF_ONLY else ("ref", "image", "inage"))
    if category == "physics" and reference_image is None:
        reference_image = _named_image(point, expect)
    edit = category != "Multi Hop"
    if edit and problem is None:
        return [], "an edit task (category is not 'Multi Hop') without an image in image/ or inage/"
    pair = taxonomy["pair"]
    here = str(prompt_path)
    inputs = (BankImage(path=relative_to(root, problem, here)),) if edit and problem else ()
    reference_path = relative_to(root, reference_image, here) if reference_image else None
    params = {
        "folder": point.name, "category": category, "subcategory": subcategory, "reference": meta.get("reference"),
        "task": "image_editing" if edit else "image_generation", "judge_templates": judge_templates(category, subcategory),
        "problem_image": relative_to(root, problem, here) if problem else None, "reference_image": reference_path,
    }  # fmt: skip
    common = {"pair": pair, "category": taxonomy["category"], "subtask": taxonomy["subtask"],
              "source": "GapEval", "licence": _LICENCE, "params": params}  # fmt: skip
    point_text = f"agrees with the reference answer: {reference}" if reference else "answers the question correctly"
    und = build(Item, where, id=f"{pair}-und", direction="understanding",
                prompt=(*inputs, BankText(text=und_text)), answer=PointsAnswer(points=(point_text,)), **common)
    shown = f"shows the reference answer: {reference}" if reference else "carries out the instruction"
    gen = build(Item, where, id=f"{pair}-gen", direction="generation", prompt=(*inputs, BankText(text=gen_text)),
                answer=PointsAnswer(points=(shown,)), reference=reference_path, **common)
    return [und, gen], None

