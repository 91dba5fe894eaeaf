"""RealUnify's released files: ``UEG_direct``, ``UEG_step``, ``GEU_direct``, ``GEU_step``.

What the authors' README and scorers (``README.md``, ``eval/eval_generation.py``,
``eval/eval_understanding.py`` in ``FrankYang-17/RealUnify``) say each file holds:

* UEG (understanding enhances generation; an image is scored): ``task_type``, ``prompt`` (the
  generation prompt) and ``question_list`` (``[{"question", "answer": "yes" | "no"}]``, asked of a
  judge about the image); the step file adds ``new_prompt`` (the prompt-refinement question whose
  answer becomes the generation prompt).
* GEU (generation enhances understanding; a letter is scored): ``task_type``, ``input_image``,
  ``evaluation_prompt`` (the question shown with the image), ``option`` (the option texts, a list;
  letters run to E) and ``answer`` (a letter); the step file adds ``edit_prompt`` (the edit whose
  image the question is then asked about).
* Files may be ``.json`` lists or ``.jsonl``, as the scorers accept both.

Each entry becomes one item in its one direction (RealUnify questions have no pair). The direct and
the step file of an axis hold the same questions under two protocols: their items get distinct ids
(``realunify-ueg-direct-<task>-<n>``, ``realunify-ueg-step-<task>-<n>``) and share
``params["question"]``. An entry's number is its ``index`` (or ``id``) field, else its position.
The field names of the data files are inferred from the README and the scorers: the data files are
not in the public repository.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gapeval.bank.importers import ImportedBank, Note
from gapeval.bank.importers._read import (
    Where, build, get_id, get_list, get_str, object_at, read_entries, relative_to,
)
from gapeval.bank.io import BankError
from gapeval.bank.schema import BankImage, BankText, Item, McqAnswer, PointsAnswer

__all__ = ["import_realunify_files", "item_id", "split_name"]

_FILE = re.compile(r"^(UEG|GEU)_(\w+?)(?:_processed)?$")
_LICENCE = "RealUnify licence: academic research only, no commercial use, no redistribution without approval"
LOST = (
    "the step protocol's intermediate prompts (new_prompt, edit_prompt) are kept in params; the model's own "
    "intermediate answer is produced at run time by a stepwise protocol",
    "UEG yes/no judge questions become evaluation points written 'question (expected: answer)', scored by polling",
)


def split_name(path: Path) -> tuple[str, str] | None:
    """(axis, protocol) of a RealUnify file name, e.g. ``GEU_step.json`` -> ``("GEU", "step")``.

    Examples
    --------
    >>> split_name(Path("UEG_direct.json")), split_name(Path("notes.json"))
    (('UEG', 'direct'), None)
    """
    match = _FILE.match(path.stem)
    return (match.group(1), match.group(2)) if match else None


def import_realunify_files(folder: str | Path) -> ImportedBank:
    """Read every ``UEG_*`` / ``GEU_*`` ``.json`` or ``.jsonl`` file in ``folder``.

    Raises
    ------
    BankError
        For a folder without such files, malformed JSON, a missing or mistyped field, an answer
        letter outside the options, a missing input image or a repeated id; the message names the
        file, the entry and the field.
    """
    root = Path(folder)
    files = sorted(p for p in root.iterdir() if p.suffix in (".json", ".jsonl") and split_name(p)) if root.is_dir() else []
    if not files:
        raise BankError(f"{root}: no UEG_*.json or GEU_*.json files (UEG_direct, UEG_step, GEU_direct, GEU_step); "
                        "point to RealUnify's data folder")
    records: list[Item] = []
    caveats: list[Note] = []
    seen: dict[str, Where] = {}
    beyond_d = 0
    for file in files:
        axis, protocol = split_name(file)  # type: ignore[misc]
        for where, entry in read_entries(file):
            item = (_generation if axis == "UEG" else _understanding)(root, entry, where, protocol)
            if item.id in seen:
                raise BankError(f"{where}: duplicate id {item.id!r} (first at {seen[item.id]}); give each entry "
                                "of a file its own 'index'")
            seen[item.id] = where
            if axis == "GEU" and item.answer.correct[0] not in "ABCD":
                beyond_d += 1
            records.append(item)
    if beyond_d:
        caveats.append(Note(str(root), f"{beyond_d} understanding item(s) have a key after D: RealUnify's letter "
                                          "extraction reads only A-D, so the reference scores them 0 whatever the reply"))
    return ImportedBank(root=root, records=tuple(records), lost=LOST, caveats=tuple(caveats))


def item_id(axis: str, protocol: str, task: str, number: str) -> str:
    """The id of a RealUnify item: ``realunify-<ueg|geu>-<direct|step>-<task_type>-<n>``.

    Examples
    --------
    >>> item_id("GEU", "step", "mental_tracking", "4")
    'realunify-geu-step-mental_tracking-4'
    """
    return f"realunify-{axis.lower()}-{protocol}-{task}-{number}"


def _common(entry: Mapping[str, Any], where: Where, axis: str, protocol: str) -> dict[str, Any]:
    task = get_str(entry, "task_type", where)
    key = "index" if "index" in entry else "id" if "id" in entry else None
    number = get_id(entry, key, where) if key else str(where.entry if where.entry is not None else where.line)
    question = f"{axis.lower()}-{task}-{number}"
    return {
        "id": item_id(axis, protocol, task, number), "category": task, "subtask": task,
        "source": "RealUnify", "licence": _LICENCE,
        "params": {"file": where.file.name, "axis": axis, "protocol": protocol, "question": question},
    }  # fmt: skip


def _generation(root: Path, entry: Mapping[str, Any], where: Where, protocol: str) -> Item:
    common = _common(entry, where, "UEG", protocol)
    refine = get_str(entry, "new_prompt", where, required=False)
    prompt = get_str(entry, "prompt", where, required=refine is None) or refine
    points = []
    for index, qa in enumerate(get_list(entry, "question_list", where, non_empty=True)):
        qa = object_at(qa, where.field(f"question_list[{index}]"))
        question = get_str(qa, "question", where, path=f"question_list[{index}].question")
        answer = get_str(qa, "answer", where, path=f"question_list[{index}].answer")
        if answer.strip().lower() not in ("yes", "no"):
            raise BankError(f"{where.field(f'question_list[{index}].answer')} is {answer!r}; use yes or no")
        points.append(f"{question} (expected: {answer})")  # the key keeps its case: compat compares it so
    if refine is not None:
        common["params"]["new_prompt"] = refine
    return build(Item, where, direction="generation", prompt=(BankText(text=prompt),),
                 answer=PointsAnswer(points=tuple(points)), **common)


def _images(root: Path, entry: Mapping[str, Any], where: Where) -> tuple[BankImage, ...]:
    name = "input_image" if "input_image" in entry else "image"
    value = entry.get(name)
    values = value if isinstance(value, list) else [value] if value is not None else []
    images = []
    for index, image in enumerate(values):
        label = f"{name}[{index}]" if isinstance(value, list) else name
        if not isinstance(image, str) or not image.strip():
            raise BankError(f"{where.field(label)} should be an image path, found {image!r:.60}")
        path = Path(image) if Path(image).is_absolute() else root / image
        if not path.is_file():
            raise BankError(f"{where.field(label)} names {image!r}, which is not a file under {root}")
        images.append(BankImage(path=relative_to(root, path, where.field(label))))
    return tuple(images)


def _understanding(root: Path, entry: Mapping[str, Any], where: Where, protocol: str) -> Item:
    common = _common(entry, where, "GEU", protocol)
    name = "evaluation_prompt" if "evaluation_prompt" in entry else "question"
    question = get_str(entry, name, where)
    images = _images(root, entry, where)
    if not images:
        raise BankError(f"{where.field('input_image')} is missing; a GEU question is asked about an image")
    options = get_list(entry, "option", where, required=False)
    for index, option in enumerate(options):
        if not isinstance(option, (str, int, float)) or isinstance(option, bool) or not str(option).strip():
            raise BankError(f"{where.field(f'option[{index}]')} should be an option text, found {option!r:.60}")
    texts = tuple(str(option) for option in options) or _options_in(question)
    answer = get_str(entry, "answer", where).strip()
    letters = [chr(ord("A") + i) for i in range(len(texts))]
    if answer not in letters:
        raise BankError(f"{where.field('answer')} is {answer!r}; with {len(texts)} options it must be one of "
                        f"{', '.join(letters)} (RealUnify compares the letter exactly)")
    edit = get_str(entry, "edit_prompt", where, required=False)
    if edit is not None:
        common["params"]["edit_prompt"] = edit
    return build(Item, where, direction="understanding", prompt=(*images, BankText(text=question)),
                 answer=McqAnswer(options=texts, correct=(answer,)), **common)


def _options_in(question: str) -> tuple[str, ...]:
    """Options written in the question as ``A. text`` lines (used when there is no ``option`` list)."""
    found = re.findall(r"^\s*\(?([A-Z])[.):]\s*(.+?)\s*$", question, flags=re.MULTILINE)
    letters = [letter for letter, _ in found]
    if len(found) >= 2 and letters == [chr(ord("A") + i) for i in range(len(found))]:
        return tuple(text for _, text in found)
    return tuple("ABCD")
