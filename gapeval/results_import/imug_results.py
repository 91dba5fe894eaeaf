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
from gapeval.bank.importers._read import Where, get_int, get_list, object_at, read_jsonl
from gapeval.bank.importers.imug import dialogue_id, sample_key
from gapeval.bank.io import BankError
from gapeval.results_import import ImportedResults, build_results
from gapeval.responses import GENERATION, UNDERSTANDING

__all__ = ["import_imug_results", "score_files"]

_KINDS = {"_mcq_score.jsonl": ("score_mcq", UNDERSTANDING), "_img_score.jsonl": ("score_img", GENERATION)}


def score_files(root: Path, suffix: str) -> list[Path]:
    """The score files of one kind under ``root``, as IMUG-Bench's ``common.score_files`` finds them."""
    direct = sorted(root.glob(f"*{suffix}"))
    if direct:
        return direct
    folder = _KINDS[suffix][0]
    return sorted(root.glob(f"*/*{suffix}")) + sorted(root.glob(f"*/{folder}/*{suffix}"))


def import_imug_results(source: str | Path) -> ImportedResults:
    """Read the MCQ and image score files of every model under ``source``.

    Parameters
    ----------
    source : path
        The IMUG-Bench repository (its ``outputs/`` folder is read), an ``outputs/`` folder, or a
        folder holding the score files directly.

    Raises
    ------
    BankError
        For a malformed score file, a missing or mistyped field, or a score out of range; the message
        names the file, the line and the field.
    """
    root = Path(source)
    if not root.is_dir():
        raise BankError(f"{root} is not a folder; give IMUG-Bench's repository or its outputs/ folder")
    if (root / "outputs").is_dir():
        root = root / "outputs"
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    skipped: list[Note] = []
    caveats: list[Note] = []
    for suffix, (_, direction) in _KINDS.items():
        for path in score_files(root, suffix):
            model = path.name.removesuffix(suffix)
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
    scored = {model for model, _ in rows}
    outputs = root / "model_outputs"
    for folder in sorted(outputs.iterdir()) if outputs.is_dir() else ():
        if folder.is_dir() and folder.name not in scored:
            skipped.append(Note(str(folder), f"model {folder.name!r} has outputs but no score files; run IMUG-Bench's "
                                             "scripts/run_scoring.py first"))
    return build_results(root, list(rows.values()), skipped=skipped, caveats=caveats)


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
