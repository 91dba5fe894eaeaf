"""RealUnify's results: the per-model result files its two scorers read or write.

* UEG (``eval/eval_generation.py``): the scorer writes ``RES_JSON_DIR/<model>.json``, the input
  entries with ``generated_image`` and ``score`` (1 when every yes/no answer matched, else 0), in
  the order the workers finished; an entry the judge failed on is ``null``.
* GEU (``eval/eval_understanding.py``): the result file is the input entries with the model's
  ``response`` (a string, or a list whose first element is used); the scorer does not write scores,
  it compares its letter extraction with ``answer``. The importer scores it the same way
  (:func:`gapeval.scoring.choice.score_choice` in ``compat`` mode, which reproduces that extraction).

Files are ``.json`` lists or ``.jsonl``. The model is the name of the sub-folder holding the file,
or, for files directly in the folder, the file name without a trailing ``_UEG_direct``-style part
(``bagel_GEU_step.json`` -> ``bagel``). An entry is UEG when it has ``question_list``, GEU when it
has ``answer``; its protocol is the file name's ``direct`` / ``step``, else ``step`` when the entry
has ``new_prompt`` or ``edit_prompt``. Items get the bank importer's ids
(``realunify-<ueg|geu>-<protocol>-<task_type>-<index>``), so entries need their ``index`` (or
``id``): the UEG scorer writes them out of order, so a position says nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gapeval.bank.importers import Note
from gapeval.bank.importers._read import Where, get_id, get_str, object_at, read_json, read_jsonl
from gapeval.bank.importers.realunify import item_id
from gapeval.bank.io import BankError
from gapeval.results_import import ImportedResults, build_results
from gapeval.responses import GENERATION, UNDERSTANDING

__all__ = ["import_realunify_results", "model_and_protocol"]

_SUFFIX = re.compile(r"^(?P<model>.+?)_(?:UEG|GEU)_(?P<protocol>direct|step)(?:_processed)?$")


def model_and_protocol(path: Path, root: Path) -> tuple[str, str | None]:
    """The model of a result file and the protocol its name gives (``None`` when it gives none).

    Examples
    --------
    >>> model_and_protocol(Path("r/bagel_GEU_step.json"), Path("r"))
    ('bagel', 'step')
    >>> model_and_protocol(Path("r/janus/UEG_direct.json"), Path("r"))
    ('janus', 'direct')
    >>> model_and_protocol(Path("r/emu3.json"), Path("r"))
    ('emu3', None)
    """
    stem = path.stem
    protocol = "step" if re.search(r"(^|_)step($|_)", stem) else "direct" if re.search(r"(^|_)direct($|_)", stem) else None
    if path.parent != root:
        return path.parent.name, protocol
    match = _SUFFIX.match(stem)
    return (match["model"], protocol) if match else (stem, protocol)


def import_realunify_results(source: str | Path) -> ImportedResults:
    """Read every result file (``.json``, ``.jsonl``) in ``source`` and its sub-folders.

    Raises
    ------
    BankError
        For a malformed file, an entry that is neither UEG nor GEU, a missing ``task_type``,
        ``index`` or ``answer``, or a score that is not 0 or 1; the message names the file, the entry
        and the field.
    """
    from gapeval.scoring.choice import score_choice

    root = Path(source)
    if not root.is_dir():
        raise BankError(f"{root} is not a folder; give the folder holding RealUnify result files")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl"))
    rows: list[dict[str, Any]] = []
    skipped: list[Note] = []
    caveats: list[Note] = []
    for path in files:
        model, named = model_and_protocol(path, root)
        for where, entry in _entries(path, skipped):
            row = _row(entry, where, model, named, score_choice, skipped)
            if row is not None:
                rows.append(row)
                if row["direction"] == UNDERSTANDING and row["key"] not in ("A", "B", "C", "D"):
                    caveats.append(Note(str(where), f"key {row['key']!r}: RealUnify's extraction reads only A-D, "
                                                    "so this answer can never be right"))
    for row in rows:
        row.pop("key", None)
    return build_results(root, rows, skipped=skipped, caveats=caveats)


def _entries(path: Path, skipped: list[Note]) -> list[tuple[Where, dict[str, Any]]]:
    """The entries of a result file; ``null`` entries (the UEG judge failed on them) are skipped."""
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    data = read_json(path)
    if not isinstance(data, list):
        raise BankError(f"{path}: expected a JSON list of result entries, found {type(data).__name__}")
    entries = []
    for index, entry in enumerate(data):
        where = Where(path, entry=index)
        if entry is None:
            skipped.append(Note(str(where), "null: the judge failed on this entry"))
        else:
            entries.append((where, object_at(entry, where)))
    return entries


def _row(entry: Mapping[str, Any], where: Where, model: str, named: str | None, score_choice: Any,
         skipped: list[Note]) -> dict[str, Any] | None:  # fmt: skip
    if "question_list" in entry:
        axis, direction = "ueg", GENERATION
    elif "answer" in entry:
        axis, direction = "geu", UNDERSTANDING
    else:
        raise BankError(f"{where}: neither a UEG entry (no 'question_list') nor a GEU entry (no 'answer')")
    protocol = named or ("step" if "new_prompt" in entry or "edit_prompt" in entry else "direct")
    task = get_str(entry, "task_type", where)
    key = "index" if "index" in entry else "id" if "id" in entry else None
    if key is None:
        raise BankError(f"{where.field('index')} is missing; result entries are matched to questions by their index "
                        "(the UEG scorer writes them out of order)")
    number = get_id(entry, key, where)
    row = {"model": model, "item": item_id(axis, protocol, task, number), "pair": None,
           "direction": direction, "category": task, "subtask": task, "protocol": protocol,
           "where": str(where)}  # fmt: skip
    if axis == "ueg":
        score = entry.get("score")
        if score is None:
            skipped.append(Note(str(where), "no score: the UEG judge did not score this entry"))
            return None
        if isinstance(score, bool) or score not in (0, 1):
            raise BankError(f"{where.field('score')} is {score!r}; eval_generation.py writes 0 or 1")
        return {**row, "score": float(score), "key": ""}
    response = entry.get("response")
    if isinstance(response, list):
        response = response[0] if response else None
    if not isinstance(response, str):
        skipped.append(Note(str(where), "no response: the model's answer is missing"))
        return None
    answer = get_str(entry, "answer", where)
    return {**row, "score": score_choice(response, key=answer, mode="compat").value, "key": answer}
