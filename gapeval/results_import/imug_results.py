"""IMUG-Bench's results: the score files its scoring workflow writes per model.

What ``scripts/auxiliary/*.py`` write (``ccccEsion/IMUG-Bench``), found as ``summarize_results.py``
finds them (``common.score_files``: ``*_img_score.jsonl`` directly in the folder, else under
``<model>/``, ``<model>/score_img/``, ``<model>/score_mcq/``; the model is the file name without
its suffix), in the repository's ``outputs/`` folder or the folder given:

* ``<model>_mcq_score.jsonl`` (``score_mcq.py``): ``{domain, subdomain, sample_id, mcq_scores:
  [{turn, score}]}``, static and dynamic multiple-choice turns, scores in [0, 1] (the reference's
  rounded value; dynamic turns it could not resolve are absent);
* ``<model>_img_score.jsonl`` (``score_image.py``, and ``score_grid.py`` for the cube turns):
  ``{domain, subdomain, sample_id, turn, scores: [{point_id, score}]}``, points 0-5; the turn's score
  is their mean / 5 (``summarize_results.py`` reports it x 20 %). Points without a score are left
  out, as the summary does.

A model under ``outputs/model_outputs/`` without an MCQ score file has its multiple-choice turns
scored from its ``result.json`` files as ``score_mcq.py`` scores them (the benchmark's key, the
resolver's ``<model>_dynamic_answer.jsonl`` for ``<DYNAMIC>`` turns, the compat rule); its image
turns need the judge and are absent without an image score file.

Each turn becomes a row of the session ``imug-<domain>-<subdomain>-<sample_id>`` (the dialogue id of
the bank importer): item ``<session>#<turn>``, ``turn``, text turns ``understanding``, image turns
``generation``, ``category`` the domain and ``subtask`` the subdomain. IMUG-Bench questions have no
pairs. A turn scored twice in one file (an appended re-run) keeps its last record, with a caveat:
the reference summary counts both.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gapeval.bank.importers import Note
from gapeval.bank.importers._read import Where, get_int, get_list, object_at, read_json, read_jsonl
from gapeval.bank.importers.imug import dialogue_id, sample_key
from gapeval.bank.io import BankError
from gapeval.results_import import ImportedResults, build_results
from gapeval.responses import GENERATION, UNDERSTANDING

__all__ = ["import_imug_results", "score_files"]

_KINDS = {"_mcq_score.jsonl": UNDERSTANDING, "_img_score.jsonl": GENERATION}
_FOLDERS = {"_mcq_score.jsonl": "score_mcq", "_img_score.jsonl": "score_img", "_dynamic_answer.jsonl": "dynamic_answer"}


def score_files(root: Path, suffix: str) -> list[Path]:
    """The files of one kind under ``root`` (``_mcq_score.jsonl``, ``_img_score.jsonl`` or
    ``_dynamic_answer.jsonl``), as IMUG-Bench's ``common.score_files`` finds them."""
    direct = sorted(root.glob(f"*{suffix}"))
    if direct:
        return direct
    return sorted(root.glob(f"*/*{suffix}")) + sorted(root.glob(f"*/{_FOLDERS[suffix]}/*{suffix}"))


def import_imug_results(source: str | Path) -> ImportedResults:
    """Read the MCQ and image score files of every model under ``source`` (and, for a model without
    an MCQ score file, its ``result.json`` replies).

    Parameters
    ----------
    source : path
        The IMUG-Bench repository (its ``outputs/`` folder is read), an ``outputs/`` folder, or a
        folder holding the score files directly.

    Raises
    ------
    BankError
        For a malformed score, result or benchmark file, a missing or mistyped field, or a score out
        of range; the message names the file, the line and the field.
    """
    root = Path(source)
    if not root.is_dir():
        raise BankError(f"{root} is not a folder; give IMUG-Bench's repository or its outputs/ folder")
    if (root / "outputs").is_dir():
        root = root / "outputs"
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    skipped: list[Note] = []
    caveats: list[Note] = []
    found_in: dict[str, set[str]] = {UNDERSTANDING: set(), GENERATION: set()}
    for suffix, direction in _KINDS.items():
        for path in score_files(root, suffix):
            model = path.name.removesuffix(suffix)
            found_in[direction].add(model)
            for where, record in read_jsonl(path):
                found = (_mcq_rows if direction == UNDERSTANDING else _img_rows)(record, where, model)
                if not found:
                    skipped.append(Note(str(where), "no score in the record"))
                for row in found:
                    key = (model, row["item"])
                    if key in rows:
                        caveats.append(Note(str(where), f"{row['item']} of {model} is scored again; the last record "
                                                        "is kept (summarize_results.py counts both)"))
                    rows[key] = row
    outputs = root / "model_outputs"
    for folder in sorted(outputs.iterdir()) if outputs.is_dir() else ():
        if not folder.is_dir():
            continue
        if folder.name not in found_in[UNDERSTANDING]:
            for row in _mcq_from_outputs(root, folder, skipped, caveats):
                rows[(folder.name, row["item"])] = row
        if folder.name not in found_in[GENERATION]:
            skipped.append(Note(str(folder), f"model {folder.name!r} has no *_img_score.jsonl: its image turns need "
                                             "IMUG-Bench's judge (scripts/run_scoring.py) and are absent"))
    return build_results(root, list(rows.values()), skipped=skipped, caveats=caveats)


def _mcq_from_outputs(root: Path, folder: Path, skipped: list[Note], caveats: list[Note]) -> list[dict[str, Any]]:
    """The multiple-choice turns of a model without an MCQ score file, scored from its ``result.json``
    files as ``score_mcq.py`` scores them (the benchmark's key, or the resolver's answer for a
    ``<DYNAMIC>`` turn, and the compat rule of :func:`~gapeval.scoring.mcq.score_imug_mcq`)."""
    from gapeval.scoring.mcq import score_imug_mcq

    benchmark = root.parent / "data" / "benchmark.jsonl"
    if not benchmark.is_file():
        skipped.append(Note(str(folder), f"model {folder.name!r} has no *_mcq_score.jsonl, and there is no {benchmark} "
                                         "to score its result.json files with; run scripts/run_scoring.py"))
        return []
    resolved = _dynamic_answers(root, folder.name)
    rows = []
    for where, sample in read_jsonl(benchmark):
        key = sample_key(sample, where)
        result_path = folder / key[0] / key[1] / f"question_{key[2]}" / "result.json"
        if not result_path.is_file():
            continue
        replies = _replies(result_path)
        for index, task in enumerate(get_list(sample, "tasks", where)):
            task = object_at(task, where.field(f"tasks[{index}]"))
            output = task.get("output")
            answer = output.get("answer") if isinstance(output, dict) else None
            if task.get("modality") != "text" or not isinstance(answer, str) or not answer:
                continue
            turn = get_int(task, "turn", where, path=f"tasks[{index}].turn")
            if "<DYNAMIC>" in answer and (answer := resolved.get((*key, turn))) is None:
                skipped.append(Note(str(result_path), f"turn {turn}: its <DYNAMIC> key was never resolved"))
                continue
            score = score_imug_mcq(replies.get(turn, ""), key=answer, mode="compat").value
            rows.append({**_common(sample, Where(result_path), folder.name, turn, UNDERSTANDING), "score": score})
    caveats.append(Note(str(folder), f"model {folder.name!r} has no *_mcq_score.jsonl: its {len(rows)} multiple-choice "
                                     "turns are scored from result.json as score_mcq.py scores them"))
    return rows


def _dynamic_answers(root: Path, model: str) -> dict[tuple[str, str, str, int], str]:
    """``(domain, subdomain, sample_id, turn)`` -> the resolver's ``determined_answer`` for ``model``."""
    answers = {}
    for path in score_files(root, "_dynamic_answer.jsonl"):
        if path.name == f"{model}_dynamic_answer.jsonl":
            for where, row in read_jsonl(path):
                answer = row.get("determined_answer")
                if isinstance(answer, str) and answer:
                    answers[(*sample_key(row, where), get_int(row, "turn", where))] = answer
    return answers


def _replies(path: Path) -> dict[int, str]:
    """Turn -> the model's reply in a ``result.json`` (a missing or non-text reply reads as empty)."""
    where = Where(path)
    result = object_at(read_json(path), where)
    replies = {}
    for index, task in enumerate(get_list(result, "tasks", where)):
        task = object_at(task, where.field(f"tasks[{index}]"))
        reply = task.get("model_response")
        replies[get_int(task, "turn", where, path=f"tasks[{index}].turn")] = reply if isinstance(reply, str) else ""
    return replies


def _common(record: Mapping[str, Any], where: Where, model: str, turn: int, direction: str) -> dict[str, Any]:
    key = sample_key(record, where)
    session = dialogue_id(key)
    return {"model": model, "item": f"{session}#{turn}", "pair": None, "direction": direction, "category": key[0],
            "subtask": key[1], "session": session, "turn": turn, "where": str(where)}  # fmt: skip


def _unit(value: Any, label: str, where: Where, *, top: float) -> float:
    """A score from 0 to ``top``: a number, or a numeric string (``summarize_results.py`` takes ``float()``)."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 <= number <= top:
        raise BankError(f"{where.field(label)} should be a number from 0 to {top:g}, found {value!r:.40}")
    return float(number)


def _mcq_rows(record: dict[str, Any], where: Where, model: str) -> list[dict[str, Any]]:
    rows = []
    for index, entry in enumerate(get_list(record, "mcq_scores", where)):
        label = f"mcq_scores[{index}]"
        entry = object_at(entry, where.field(label))
        turn = get_int(entry, "turn", where, path=f"{label}.turn")
        score = _unit(entry.get("score"), f"{label}.score", where, top=1)
        rows.append({**_common(record, where, model, turn, UNDERSTANDING), "score": score})
    return rows


def _img_rows(record: dict[str, Any], where: Where, model: str) -> list[dict[str, Any]]:
    turn = get_int(record, "turn", where)
    points = []
    for index, entry in enumerate(get_list(record, "scores", where)):
        entry = object_at(entry, where.field(f"scores[{index}]"))
        if entry.get("score") is not None:
            points.append(_unit(entry["score"], f"scores[{index}].score", where, top=5))
    if not points:
        return []
    return [{**_common(record, where, model, turn, GENERATION), "score": sum(points) / len(points) / 5}]
