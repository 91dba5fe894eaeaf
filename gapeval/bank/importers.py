"""Importers for the anchors' public formats: GapEval folders, IMUG-Bench JSONL and RealUnify JSON.

Each importer reads a source folder and returns an :class:`ImportedBank` whose image paths are
relative to that folder; :func:`save_imported` copies the images and writes a loadable bank.
What each format loses on the way in is listed in ``ImportedBank.lost`` and in ``docs/bank.md``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gapeval.bank.io import BankError, resolve_image_path, write_bank, record_image_paths
from gapeval.bank.schema import (
    Dialogue, BankImage, Item, JudgedMcqAnswer, McqAnswer, PointsAnswer, TextAnswer, BankText, Turn,
)

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"}


@dataclass(frozen=True)
class ImportedBank:
    """Records read from a foreign format; image paths are relative to ``root``."""

    root: Path
    records: tuple[Item | Dialogue, ...]
    lost: tuple[str, ...]


def save_imported(imported: ImportedBank, folder: str | Path) -> Path:
    """Copy every referenced image under ``folder`` (same relative paths) and write ``bank.jsonl``."""
    folder = Path(folder)
    for record in imported.records:
        for relative in record_image_paths(record):
            target = resolve_image_path(folder, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(resolve_image_path(imported.root, relative), target)
    return write_bank(folder, imported.records)


def _pick(data: Mapping[str, Any], keys: Iterable[str], *, where: str, default: Any = ...) -> Any:
    keys = tuple(keys)
    for key in keys:
        if key in data:
            return data[key]
    if default is ...:
        raise BankError(f"{where}: missing field, expected one of {list(keys)}")
    return default


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise BankError(f"{path}:{error.lineno}: malformed JSON ({error.msg})") from None


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append((lineno, json.loads(line)))
            except json.JSONDecodeError as error:
                raise BankError(f"{path}:{lineno}: malformed JSON ({error.msg})") from None
    return rows


def _images_in(folder: Path, root: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return [p.relative_to(root).as_posix() for p in sorted(folder.iterdir()) if p.suffix.lower() in _IMAGE_SUFFIXES]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --- GapEval ---------------------------------------------------------------------------------

def import_gapeval(folder: str | Path) -> ImportedBank:
    """Read GapEval's layout: ``data_<id>/prompt.json`` (``und_prompt``, ``gen_prompt``,
    ``reference``; optional ``category``, ``subtask``, ``gen_points``), inputs in ``data_<id>/image/``,
    reference images in ``data_<id>/ref/``. Each folder becomes one pair of items."""
    root = Path(folder)
    records: list[Item] = []
    folders = sorted(p for p in root.glob("data_*") if p.is_dir())
    if not folders:
        raise BankError(f"{root}: no data_<id> folders; point to the folder that holds them")
    for sample in folders:
        where = str(sample / "prompt.json")
        meta = _read_json(sample / "prompt.json")
        pair = f"gapeval-{sample.name.removeprefix('data_')}"
        images = tuple(BankImage(path=p) for p in _images_in(sample / "image", root))
        refs = _images_in(sample / "ref", root)
        reference = meta.get("reference")
        common = dict(pair=pair, category=str(meta.get("category", "unknown")),
                      subtask=str(meta.get("subtask", meta.get("category", "unknown"))),
                      source="GapEval", licence=str(meta.get("licence", "see GapEval")),
                      params={"folder": sample.name})
        if isinstance(reference, str) and reference.strip():
            und_answer: Any = TextAnswer(value=reference.strip())
        else:
            und_answer = PointsAnswer(points=tuple(map(str, _as_list(reference))) or ("agrees with the reference",))
        records.append(Item(id=f"{pair}-und", direction="understanding",
                            prompt=images + (BankText(text=str(_pick(meta, ["und_prompt"], where=where))),),
                            answer=und_answer, **common))
        points = tuple(map(str, _as_list(meta.get("gen_points")))) or (
            "shows the same content as the reference image" if refs else f"depicts: {reference}",)
        gen_inputs = images if meta.get("gen_uses_image") else ()
        records.append(Item(id=f"{pair}-gen", direction="generation",
                            prompt=gen_inputs + (BankText(text=str(_pick(meta, ["gen_prompt"], where=where))),),
                            answer=PointsAnswer(points=points), reference=refs[0] if refs else None, **common))
    lost = ("answers are free text or judge points: GapEval's own judge prompts are not carried over",
            "only the first reference image of ref/ is kept; inputs go to the generation form only with gen_uses_image")
    return ImportedBank(root=root, records=tuple(records), lost=lost)


# --- IMUG-Bench ------------------------------------------------------------------------------

def import_imug(folder: str | Path) -> ImportedBank:
    """Read IMUG-Bench: ``benchmark.jsonl`` (``domain``, ``subdomain``, ``sample_id``, ordered
    ``tasks`` with ``turn``, ``modality`` text/image, ``input`` text and images, ``answer`` or
    ``eval_points``), ``image_references.jsonl`` and ``dynamic_references.jsonl``; images in ``images/``.
    Each sample becomes one model-history dialogue."""
    root = Path(folder)
    bench = root / "benchmark.jsonl"
    if not bench.is_file():
        raise BankError(f"{bench} does not exist; point to IMUG-Bench's data/ folder")
    dynamic = _references(root / "dynamic_references.jsonl", ["referenced_turns", "reference_turns", "turns"])
    image_refs = _references(root / "image_references.jsonl", ["reference_turns", "referenced_turns", "turns"])
    records: list[Dialogue] = []
    for lineno, sample in _read_jsonl(bench):
        where = f"{bench}:{lineno}"
        sample_id = str(_pick(sample, ["sample_id", "id", "question_id"], where=where))
        domain = str(sample.get("domain", "unknown"))
        turns = []
        for task in sorted(_pick(sample, ["tasks", "turns"], where=where), key=lambda t: int(t["turn"])):
            turns.append(_imug_turn(task, root, sample_id=sample_id, dynamic=dynamic, where=where))
        params = {"domain": domain, "subdomain": sample.get("subdomain"), "class": sample.get("class"),
                  "image_references": {str(t): v for (s, t), v in image_refs.items() if s == sample_id}}
        records.append(Dialogue(id=f"imug-{domain}-{sample.get('subdomain', 'x')}-{sample_id}", category=domain,
                                turns=tuple(turns), params=params, source="IMUG-Bench",
                                licence="CC BY 4.0 (IMUG-Bench authors); third-party images under their own terms"))
    lost = ("image turns are scored by a judge on their evaluation points (0-5 per point); the 0-5 scale is not stored",
            "historical image references are kept in dialogue params, not as prompt parts",
            "the grid domain's grid_gt/ ground truth is not imported")
    return ImportedBank(root=root, records=tuple(records), lost=lost)


def _references(path: Path, keys: list[str]) -> dict[tuple[str, int], list[int]]:
    if not path.is_file():
        return {}
    table = {}
    for lineno, row in _read_jsonl(path):
        where = f"{path}:{lineno}"
        sample = str(_pick(row, ["sample_id", "id", "question_id"], where=where))
        turn = int(_pick(row, ["turn"], where=where))
        table[(sample, turn)] = [int(t) for t in _as_list(_pick(row, keys, where=where))]
    return table


def _imug_turn(task: Mapping[str, Any], root: Path, *, sample_id: str, dynamic: Mapping, where: str) -> Turn:
    index = int(task["turn"])
    inputs = task.get("input", task)
    text = str(_pick(inputs, ["text", "question", "prompt", "instruction"], where=f"{where} turn {index}"))
    parts: list[Any] = []
    for name in _as_list(_pick(inputs, ["images", "image"], where=where, default=[])):
        path = name if (root / name).is_file() else f"images/{name}"
        parts.append(BankImage(path=path))
    parts.append(BankText(text=text))
    image_turn = str(task.get("modality", "text")) == "image"
    options = tuple(map(str, task.get("options", ())))
    if image_turn:
        points = _pick(task, ["eval_points", "evaluation_points", "points"], where=f"{where} turn {index}")
        answer: Any = PointsAnswer(points=tuple(map(str, _as_list(points))))
    elif (sample_id, index) in dynamic or task.get("dynamic"):
        answer = JudgedMcqAnswer(source_turns=tuple(dynamic.get((sample_id, index), [index - 1])), options=options)
    else:
        letters = tuple(re.findall(r"[A-Z]", str(_pick(task, ["answer", "gt"], where=f"{where} turn {index}"))))
        answer = McqAnswer(options=options or tuple("ABCD"), correct=letters)
    return Turn(index=index, direction="generation" if image_turn else "understanding",
                subtask=str(task.get("task", task.get("type", "imug"))), prompt=tuple(parts), answer=answer)


# --- RealUnify -------------------------------------------------------------------------------

def import_realunify(folder: str | Path) -> ImportedBank:
    """Read RealUnify's ``UEG_*.json`` (generation: ``prompt`` and yes/no ``question_list``) and
    ``GEU_*.json`` (understanding: ``question``, ``answer`` letter, ``image``) files."""
    root = Path(folder)
    files = sorted(root.glob("UEG_*.json")) + sorted(root.glob("GEU_*.json"))
    if not files:
        raise BankError(f"{root}: no UEG_*.json or GEU_*.json files; point to RealUnify's data folder")
    records: list[Item] = []
    for file in files:
        generation = file.name.startswith("UEG_")
        for position, entry in enumerate(_read_json(file)):
            where = f"{file} entry {position}"
            task = str(entry.get("task_type", file.stem[4:]))
            index = entry.get("index", entry.get("id", position))
            images = tuple(BankImage(path=p) for p in map(str, _as_list(entry.get("images", entry.get("image")))))
            common = dict(id=f"realunify-{file.stem[:3].lower()}-{task}-{index}", category=task, subtask=task,
                          source="RealUnify", licence="RealUnify licence: academic research only",
                          params={"file": file.name, "index": index})
            if generation:
                questions = _pick(entry, ["question_list", "questions"], where=where)
                points = tuple(f"{q['question']} (expected: {q['answer']})" for q in questions)
                records.append(Item(direction="generation", answer=PointsAnswer(points=points),
                                    prompt=images + (BankText(text=str(_pick(entry, ["prompt"], where=where))),),
                                    **common))
            else:
                question = str(_pick(entry, ["question", "prompt"], where=where))
                options = tuple(map(str, entry.get("options", ()))) or _options_in(question)
                letters = tuple(re.findall(r"[A-Z]", str(_pick(entry, ["answer"], where=where))))
                records.append(Item(direction="understanding", answer=McqAnswer(options=options, correct=letters),
                                    prompt=images + (BankText(text=question),), **common))
    lost = ("UEG and GEU items are not pairs: RealUnify questions exist in one direction only (pair is empty)",
            "the stepwise protocol's decomposed prompts are not imported",
            "UEG yes/no judge questions become evaluation points")
    return ImportedBank(root=root, records=tuple(records), lost=lost)


def _options_in(question: str) -> tuple[str, ...]:
    found = re.findall(r"^\s*\(?([A-Z])[.)]\s*(.+?)\s*$", question, flags=re.MULTILINE)
    return tuple(text for _, text in found) or tuple("ABCD")


#: Format name -> importer, as used by ``gapeval bank import FORMAT SOURCE OUT``.
IMPORTERS: dict[str, Callable[[str | Path], ImportedBank]] = {
    "gapeval": import_gapeval,
    "imug": import_imug,
    "realunify": import_realunify,
}
