"""GapEval's results: the judge's ``new_res.json`` per model and question, or four-cell proportions.

**Judged results** (``llm_judge_pipeline_gpt5pro_shard.py``): every ``data_<id>/`` folder holds one
sub-folder per model (any folder but ``image``, ``inage``, ``ref``, ``lumoo`` and hidden ones;
``output_*`` folders only when their name ends in ``1``, as the pipeline lists them) with
``text.json``, the generated images and ``new_res.json``: ``text_eval`` (``status``, ``parsed``,
``raw_response``) and ``image_eval`` (a list of such records, one per generated image). The judge's
verdict is ``parsed["score"]``, else ``"judge_result"``, else the misspelt ``"judeg_result"``
(``parsed`` re-read from ``raw_response`` when missing); it counts as right when it is ``1``,
``true``, ``"1"``, ``"true"`` or ``"yes"``, as the pipeline's ``is_positive_score`` decides.
The understanding form of the folder's pair is ``text_eval``; the generation form is the first
``image_eval`` record with status ``ok`` and a verdict (GapEval's own aggregation into the
four cells is not public; this choice is ours). Errors, skipped evaluations and verdict-less
replies are absent rows.

**Four-cell proportions**: the JSON ``evaluate.py`` takes, ``{model: [[p11, p10, p01, p00], ...]}``
(one row per category). With the number of pairs behind each row (``pairs``), every row becomes
that many pairs whose joint outcomes have exactly those proportions; ``joint_table`` and the legacy
score then give the rows back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gapeval.bank.importers import Note
from gapeval.bank.importers._read import Where, object_at, read_json
from gapeval.bank.importers.gapeval_folders import folder_taxonomy, prompt_folders, read_prompt
from gapeval.bank.io import BankError
from gapeval.results_import import ImportedResults, build_results
from gapeval.responses import GENERATION, UNDERSTANDING

__all__ = ["import_gapeval_results", "is_positive_score", "judge_verdict", "model_folders"]

_NOT_MODELS = {"image", "inage", "ref", "lumoo"}


def model_folders(point: Path) -> list[Path]:
    """The model folders of a ``data_<id>`` folder, as the judge pipeline lists them (sorted)."""
    return sorted(
        entry for entry in point.iterdir()
        if entry.is_dir() and entry.name not in _NOT_MODELS and not entry.name.startswith(".")
        and not (entry.name.startswith("output_") and not entry.name.endswith("1"))
    )


def _json_in(text: str) -> Any:
    """The pipeline's ``parse_json_maybe``: the whole text, else the text from the first ``{`` to the last ``}``."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        try:
            return json.loads(text[start:end + 1])
        except (ValueError, RecursionError):
            return None
    return None


def judge_verdict(record: Any) -> Any:
    """The verdict of one judge record: ``score``, else ``judge_result``, else ``judeg_result``.

    Examples
    --------
    >>> judge_verdict({"status": "ok", "parsed": {"judeg_result": 1}})
    1
    >>> judge_verdict({"status": "ok", "parsed": None, "raw_response": 'ok {"score": 0}'})
    0
    >>> judge_verdict({"status": "error"}) is None
    True
    """
    if not isinstance(record, dict) or record.get("status") != "ok":
        return None
    parsed = record.get("parsed")
    if parsed is None and isinstance(record.get("raw_response"), str):
        parsed = _json_in(record["raw_response"])
    if not isinstance(parsed, dict):
        return None
    for key in ("score", "judge_result", "judeg_result"):
        if parsed.get(key) is not None:
            return parsed[key]
    return None


def is_positive_score(verdict: Any) -> bool:
    """The pipeline's rule: ``True``, the number 1, or the strings "1", "true", "yes".

    Examples
    --------
    >>> [is_positive_score(v) for v in (1, 1.0, True, " Yes ", "0", 2, None)]
    [True, True, True, True, False, False, False]
    """
    if isinstance(verdict, bool):
        return verdict
    if isinstance(verdict, (int, float)):
        return verdict == 1
    if isinstance(verdict, str):
        return verdict.strip().lower() in {"1", "true", "yes"}
    return False


def import_gapeval_results(source: str | Path, *, pairs: int | Sequence[int] | None = None,
                           categories: Sequence[str] | None = None) -> ImportedResults:  # fmt: skip
    """Read GapEval results: a folder of judged ``data_<id>`` folders, or a proportions JSON file.

    Parameters
    ----------
    source : path
        The folder holding the ``data_<id>`` folders, or the ``{model: [[p11, p10, p01, p00], ...]}``
        file ``evaluate.py`` takes.
    pairs : int or sequence of int, optional
        For a proportions file (required there): the number of pairs behind each row (one number
        for every row, or one per row).
    categories : sequence of str, optional
        For a proportions file: the name of each row (default ``row1``, ``row2``, ...).

    Raises
    ------
    BankError
        A malformed file, or proportions that are not whole counts of ``pairs``; the message names
        the file and the field.
    GapevalError
        For a proportions file without ``pairs``.
    """
    path = Path(source)
    if path.is_file():
        return _proportions(path, pairs=pairs, categories=categories)
    if pairs is not None or categories is not None:
        raise BankError(f"{path}: pairs and categories apply to a proportions file, not to a folder of results")
    if not path.is_dir():
        raise BankError(f"{path} does not exist; give GapEval's data folder or a proportions JSON file")
    rows: list[dict[str, Any]] = []
    skipped: list[Note] = []
    for point, prompt_path in prompt_folders(path, skipped):
        taxonomy = folder_taxonomy(point, read_prompt(prompt_path), Where(prompt_path))
        if isinstance(taxonomy, str):
            skipped.append(Note(str(prompt_path), taxonomy))
            continue
        common = {key: taxonomy[key] for key in ("pair", "category", "subtask")}
        for folder in model_folders(point):
            result_path = folder / "new_res.json"
            if result_path.is_file():
                rows += _judged(result_path, folder.name, common, skipped)
    return build_results(path, rows, skipped=skipped, caveats=[])


def _judged(path: Path, model: str, common: Mapping[str, Any], skipped: list[Note]) -> list[dict[str, Any]]:
    result = object_at(read_json(path), Where(path))
    image_eval = result.get("image_eval")
    if image_eval is not None and not isinstance(image_eval, list):
        raise BankError(f"{Where(path).field('image_eval')} should be a list of judge records")
    rows = []
    text = judge_verdict(result.get("text_eval"))
    if text is None:
        skipped.append(Note(str(path), "text_eval has no verdict (error, skipped or unreadable): no understanding row"))
    else:
        rows.append({"model": model, "item": f"{common['pair']}-und", "direction": UNDERSTANDING,
                     "score": float(is_positive_score(text)), "where": str(path), **common})  # fmt: skip
    verdicts = [judge_verdict(record) for record in image_eval or []]
    found = [verdict for verdict in verdicts if verdict is not None]
    if not found:
        skipped.append(Note(str(path), "image_eval has no verdict (no image, error or unreadable): no generation row"))
    else:
        rows.append({"model": model, "item": f"{common['pair']}-gen", "direction": GENERATION,
                     "score": float(is_positive_score(found[0])), "where": str(path), **common})  # fmt: skip
    return rows


def _proportions(path: Path, *, pairs: int | Sequence[int] | None,
                 categories: Sequence[str] | None) -> ImportedResults:  # fmt: skip
    from gapeval.errors import GapevalError

    data = object_at(read_json(path), Where(path))
    if pairs is None:
        raise GapevalError(f"{path} holds proportions; pass the number of pairs behind each row (pairs=N, "
                           "--pairs N) so that they can be turned into answers")
    rows: list[dict[str, Any]] = []
    cells = ((1, 1), (1, 0), (0, 1), (0, 0))
    for model, table in data.items():
        if not isinstance(table, list) or not table:
            raise BankError(f"{Where(path).field(model)} should be a non-empty list of rows [p11, p10, p01, p00]")
        counts = [pairs] * len(table) if isinstance(pairs, int) else list(pairs)
        names = list(categories) if categories is not None else [f"row{r + 1}" for r in range(len(table))]
        if len(counts) != len(table) or len(names) != len(table):
            raise BankError(f"{Where(path).field(model)} has {len(table)} rows; give as many pair counts "
                            f"({len(counts)} given) and categories ({len(names)} given)")
        for r, (row, n, name) in enumerate(zip(table, counts, names, strict=True)):
            where = Where(path).field(f"{model}[{r}]")
            if not isinstance(row, list) or len(row) != 4 or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in row):
                raise BankError(f"{where} should be 4 proportions [p11, p10, p01, p00] in [0, 1], found {row!r:.60}")
            whole = [value * n for value in row]
            if any(abs(w - round(w)) > 1e-6 * max(1, n) for w in whole) or sum(round(w) for w in whole) != n:
                raise BankError(f"{where}: {row} x {n} pairs = {whole} are not whole counts summing to {n}; "
                                "pass the number of pairs the proportions were computed from")
            k = 0
            for (u, g), count in zip(cells, (round(w) for w in whole), strict=True):
                for _ in range(count):
                    pair = f"gapeval-{name}-{k}"
                    for direction, score, suffix in ((UNDERSTANDING, u, "und"), (GENERATION, g, "gen")):
                        rows.append({"model": str(model), "item": f"{pair}-{suffix}", "pair": pair,
                                     "direction": direction, "score": float(score), "category": name,
                                     "subtask": name, "where": str(where)})  # fmt: skip
                    k += 1
    caveat = Note(str(path), "the pairs are synthetic (one per counted outcome): joint tables and the legacy score "
                             "are exact, item-level models such as gap_score are not meaningful on them")
    return build_results(path, rows, skipped=[], caveats=[caveat])
