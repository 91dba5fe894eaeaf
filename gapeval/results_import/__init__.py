"""Results the anchors' own pipelines wrote, turned into the long responses table.

A user who already ran GapEval, IMUG-Bench or RealUnify has each model's outputs and the anchor's
score files. :data:`IMPORTERS` reads them (``gapeval import-results {gapeval,imug,realunify} SRC
-o responses.parquet``) into the long table of :mod:`gapeval.responses` (``model, item, pair,
direction, score, category, subtask, session, turn, protocol``), with the same item ids, pairs and
sessions as the bank importers of :mod:`gapeval.bank.importers` give, so that ``gap_score``,
``decay`` and ``gapeval report`` run on it directly. What becomes a pair, a session and a turn in
each format is documented in ``docs/bank.md`` ("Results of the anchors' pipelines"). Every problem
with the files is a :class:`~gapeval.bank.io.BankError` naming the file, the line or entry and
the field (also a broken layout, such as one model's answer read twice); answers the anchor left
unscored are absent rows (never zeros), listed in ``skipped``.

Examples
--------
>>> sorted(IMPORTERS)
['gapeval', 'imug', 'realunify']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapeval.bank.importers import Note
from gapeval.bank.io import BankError
from gapeval.errors import GapevalError
from gapeval.responses import (
    CATEGORY, DIRECTION, GENERATION, ITEM, MODEL, PAIR, PROTOCOL, SCORE, SESSION, SUBTASK, TURN, UNDERSTANDING,
    standardize_responses,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "IMPORTERS", "ImportedResults", "Note", "build_results", "write_table"]

#: The columns of an imported table, in order.
COLUMNS: tuple[str, ...] = (MODEL, ITEM, PAIR, DIRECTION, SCORE, CATEGORY, SUBTASK, SESSION, TURN, PROTOCOL)


@dataclass(frozen=True)
class ImportedResults:
    """A long responses table read from an anchor's results, and what was left out."""

    source: Path
    """The folder or file read."""
    table: pd.DataFrame
    """The long table (:data:`COLUMNS`), one row per scored answer."""
    skipped: tuple[Note, ...] = ()
    """Answers or files not imported, and why (unscored answers are absent rows, never zeros)."""
    caveats: tuple[Note, ...] = ()
    """Answers imported where the anchor's own summary treats them differently."""

    def counts(self) -> dict[str, int]:
        """Models, rows (by direction), items, pairs, sessions, skipped.

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"model": ["m"], "item": ["i"], "pair": [None], "direction": ["generation"],
        ...                       "score": [1.0], "session": [None]})
        >>> ImportedResults(Path("."), frame).counts()["generation"]
        1
        """
        table = self.table
        return {
            "models": int(table[MODEL].nunique()),
            "rows": len(table),
            UNDERSTANDING: int((table[DIRECTION] == UNDERSTANDING).sum()),
            GENERATION: int((table[DIRECTION] == GENERATION).sum()),
            "items": int(table[ITEM].nunique()),
            "pairs": int(table[PAIR].nunique()),
            "sessions": int(table[SESSION].nunique()),
            "skipped": len(self.skipped),
        }

    def report(self) -> str:
        """The counts, then each skipped answer and caveat on its own line."""
        counts = ", ".join(f"{value} {name}" for name, value in self.counts().items())
        lines = [f"read {counts}"]
        lines += [f"  skipped {note.where}: {note.reason}" for note in self.skipped]
        lines += [f"  note {note.where}: {note.reason}" for note in self.caveats]
        return "\n".join(lines)


def build_results(source: Path, rows: list[dict[str, Any]], *, skipped: list[Note],
                  caveats: list[Note]) -> ImportedResults:  # fmt: skip
    """The checked table of ``rows`` (dicts keyed by :data:`COLUMNS`, and ``where``: the file and
    line or entry the row came from), with what was left out.

    Raises
    ------
    BankError
        When nothing could be read (the message names the source), when one model's answer to an item
        is read twice (the message names both places), or when a row breaks the long table's rules.
    """
    import pandas as pd

    if not rows:
        raise BankError(f"{source}: no scored answer found; check the layout (docs/bank.md, \"Results of the "
                        "anchors' pipelines\") and that the anchor's scoring ran")
    first: dict[tuple[Any, Any], str] = {}
    for row in rows:
        where = first.setdefault((row[MODEL], row[ITEM]), row["where"])
        if where != row["where"]:
            raise BankError(f"{row['where']}: model {row[MODEL]!r} answers item {row[ITEM]!r} again (first in "
                            f"{where}); give each model's results once")
    table = pd.DataFrame([{column: row.get(column) for column in COLUMNS} for row in rows], columns=list(COLUMNS))
    table[TURN] = pd.to_numeric(table[TURN], errors="coerce")
    try:
        standardize_responses(table, pair=PAIR, session=SESSION, turn=TURN, error=BankError,
                              extra={"category": CATEGORY, "subtask": SUBTASK, "protocol": PROTOCOL})  # fmt: skip
    except BankError as error:
        raise BankError(f"{source}: the imported answers do not form a long table: {error}") from None
    return ImportedResults(source=source, table=table, skipped=tuple(skipped), caveats=tuple(caveats))


def write_table(results: ImportedResults, path: str | Path) -> Path:
    """Write the table to ``.parquet`` (needs pyarrow, ``gapeval[parquet]``) or ``.csv``.

    Raises
    ------
    GapevalError
        For another suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise GapevalError(f"cannot write {str(path)!r}: give a .parquet or .csv file")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        results.table.to_csv(path, index=False)
    else:
        from gapeval.extras import require

        require("pyarrow", needed_by="writing a .parquet table")
        results.table.to_parquet(path, index=False)
    return path


def _gapeval(source: str | Path, **options: Any) -> ImportedResults:
    from gapeval.results_import.gapeval_results import import_gapeval_results

    return import_gapeval_results(source, **options)


def _imug(source: str | Path, **options: Any) -> ImportedResults:
    from gapeval.results_import.imug_results import import_imug_results

    return import_imug_results(source, **options)


def _realunify(source: str | Path, **options: Any) -> ImportedResults:
    from gapeval.results_import.realunify_results import import_realunify_results

    return import_realunify_results(source, **options)


#: Format name -> results importer, as used by ``gapeval import-results FORMAT SRC``.
IMPORTERS: dict[str, Callable[..., ImportedResults]] = {
    "gapeval": _gapeval,
    "imug": _imug,
    "realunify": _realunify,
}
