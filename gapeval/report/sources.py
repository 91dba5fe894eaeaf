"""Where a report's data come from: a run folder (its store) or a long-table file.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> file = pathlib.Path(tempfile.mkdtemp()) / "long.csv"
>>> pd.DataFrame({"model": ["m"], "item": ["i"], "direction": ["understanding"],
...               "score": [1.0]}).to_csv(file, index=False)
>>> frame, manifest = load_responses(file)
>>> len(frame), manifest is None
(1, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from gapeval.errors import GapevalError
from gapeval.responses import REQUIRED_COLUMNS, Columns

__all__ = ["canonical_columns", "load_responses", "load_steps", "load_verdicts", "with_run_chance_levels"]


def canonical_columns(frame: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """``frame`` with the caller's columns (``columns``, a :class:`gapeval.responses.Columns`) renamed
    to the long table's names (``model``, ``item``, ``direction``, ``score``, ``pair``, ...).

    Examples
    --------
    >>> frame = pd.DataFrame({"system": ["m"], "q": ["i"], "direction": ["understanding"], "acc": [1.0]})
    >>> list(canonical_columns(frame, Columns(model="system", item="q", score="acc")).columns)
    ['model', 'item', 'direction', 'score']
    """
    renames = {name: role for role, name in columns.roles().items() if name != role}
    missing = {role: name for name, role in renames.items() if name not in frame.columns}
    if missing:
        raise GapevalError(f"the table has no column {sorted(missing.values())} (given for "
                           f"{sorted(missing)}); it has columns {list(frame.columns)}")
    clash = sorted(role for role in renames.values() if role in frame.columns and role not in renames)
    if clash:
        raise GapevalError(f"the table already has column(s) {clash}, which the renamed columns would replace; "
                           "drop or rename them first, or map those roles to them")
    return frame.rename(columns=renames)


def with_run_chance_levels(frame: pd.DataFrame, manifest: Mapping[str, Any] | None, *, where: str) -> pd.DataFrame:
    """A run's exported table with the ``chance`` column of the bank it was answered on.

    The store records answers, not answer specs; the chance levels (1 / number of options of a
    multiple-choice question, :func:`gapeval.bank.chance_levels`) come from the bank the manifest names,
    its hash checked (:func:`gapeval.bank.run_bank`), so that :func:`gapeval.gap_score` models guessing
    on a run's multiple-choice items as on a table that has the column.

    Warns
    -----
    GuessingWarning
        The bank cannot be had (no manifest naming it, a bank folder moved or changed): the table is
        returned without chance levels, and the warning says how to add them.
    """
    import warnings

    from gapeval.bank import run_bank, with_chance_levels

    fix = ("export the table (gapeval export), add the bank's chance levels (gapeval.bank.chance_levels, "
           "merged on item) and report from that file")
    try:
        bank = run_bank(manifest, where=where, fix=fix)
    except GapevalError as error:
        from gapeval.gap.checks import GuessingWarning

        also = "" if fix in str(error) else f"; or {fix}"
        warnings.warn(f"the run's multiple-choice items get no chance level, so the gap fit will take every "
                      f"right guess as known: {error}{also}", GuessingWarning, stacklevel=2)
        return frame
    return with_chance_levels(frame, bank)


def load_responses(
    source: str | Path,
    *,
    scorer: str | None = None,
    columns: Columns | None = None,
    fingerprints: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """Read the long responses table from a run folder or a ``.csv`` / ``.parquet`` file.

    Parameters
    ----------
    source : path
        A run folder written by ``gapeval run`` (its scored answers are exported with
        :meth:`gapeval.store.Store.to_frame`) or a long-table file.
    scorer : str, optional
        For a run folder holding scores from several scoring configurations, which one.
    columns : Columns, optional
        For a table file whose columns have other names: which column plays which role (e.g.
        ``Columns(model="system", score="accuracy")``); they are renamed to the long table's names.
        A run folder's table always has those names.
    fingerprints : mapping, optional
        For a run folder where a model was answered under several configurations, which one
        (model -> digest or prefix; see :meth:`gapeval.store.Store.to_frame`).

    Returns
    -------
    (DataFrame, dict or None)
        The table (unscorable answers and answers without a score are left out) and, for a run
        folder, its latest manifest; a run folder's table has the ``chance`` column of the run's bank
        (:func:`with_run_chance_levels`).

    Raises
    ------
    GapevalError
        If the source does not exist, is neither a run folder nor a table file, or lacks columns
        (or a column ``columns`` names).
    """
    path = Path(source)
    manifest = None
    if columns is not None and path.is_dir():
        raise GapevalError(f"{str(path)!r} is a run folder, whose table has the standard column names; "
                           "column names can only be mapped for a .csv/.parquet table")
    if path.is_dir():
        from gapeval.store import Store

        if not (path / "answers.sqlite").exists():
            raise GapevalError(f"{str(path)!r} is a folder but not a run folder (no answers.sqlite)")
        with Store(path, readonly=True) as store:
            frame = store.to_frame(scorer=scorer, fingerprints=fingerprints)
            manifests = store.manifests()
        manifest = manifests[-1] if manifests else None
        frame = with_run_chance_levels(frame, manifest, where=repr(str(path)))
    elif path.suffix.lower() in (".csv", ".parquet") and path.is_file():
        from gapeval.files import read_table

        frame = read_table(path, what="long table")
    elif not path.exists():
        raise GapevalError(f"{str(path)!r} does not exist; give a run folder or a .csv/.parquet long table")
    else:
        raise GapevalError(f"cannot read {str(path)!r}: give a run folder or a .csv/.parquet long table")
    if columns is not None:
        frame = canonical_columns(frame, columns)
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise GapevalError(
            f"{str(path)!r} lacks the long-table columns {missing}; it has {list(frame.columns)} "
            f"(map yours with --{missing[0]}-col NAME, or columns=Columns({missing[0]}=...) in Python)"
        )
    frame = frame[frame["score"].notna()].reset_index(drop=True)
    if frame.empty:
        raise GapevalError(f"{str(path)!r} holds no scored answers; score the run first (gapeval score)")
    return frame, manifest


def load_judge_calibration(source: str | Path) -> pd.DataFrame:
    """Read a judge calibration table (``.csv`` / ``.parquet``): one row per (judge, answer) with 0/1 labels.

    Its columns are :data:`gapeval.gap.observation.CALIBRATION_COLUMNS` (``judge``, ``judge_label``,
    ``human_label``); :func:`gapeval.gap_score` takes it as ``judges=``.

    Raises
    ------
    GapevalError
        If the file does not exist, is not a .csv/.parquet file, or lacks those columns.
    """
    from gapeval.gap.observation import CALIBRATION_COLUMNS

    path = Path(source)
    if not path.is_file():
        raise GapevalError(f"judge calibration file {str(path)!r} does not exist; give a .csv/.parquet table with "
                           f"columns {list(CALIBRATION_COLUMNS)}")
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise GapevalError(f"cannot read judge calibration file {str(path)!r}: give a .csv or .parquet table")
    frame = pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    missing = [column for column in CALIBRATION_COLUMNS if column not in frame.columns]
    if missing:
        raise GapevalError(f"judge calibration file {str(path)!r} lacks the columns {missing}; it has "
                           f"{list(frame.columns)} (one row per judged answer: {list(CALIBRATION_COLUMNS)})")
    return frame


def _read_run(source: str | Path, read: Callable[[Any], pd.DataFrame]) -> pd.DataFrame | None:
    """``read(store)`` of the run folder ``source``; ``None`` when ``source`` is not a run folder."""
    path = Path(source)
    if not (path.is_dir() and (path / "answers.sqlite").exists()):
        return None
    from gapeval.store import Store

    with Store(path, readonly=True) as store:
        return read(store)


def load_steps(source: str | Path, *, fingerprints: Mapping[str, str] | None = None) -> pd.DataFrame | None:
    """The steps table of a run folder (:meth:`gapeval.store.Store.steps_frame`, with the
    configurations chosen by ``fingerprints``); ``None`` for a file.

    Examples
    --------
    >>> load_steps("responses.csv") is None
    True
    """
    return _read_run(source, lambda store: store.steps_frame(fingerprints=fingerprints))


def load_verdicts(source: str | Path, *, scorer: str | None = None) -> pd.DataFrame | None:
    """The self-verification verdicts of a run folder (:func:`gapeval.protocol_analysis.verification_frame`);
    ``None`` for a file, an empty frame when the run has none.

    Examples
    --------
    >>> load_verdicts("responses.csv") is None
    True
    """
    from gapeval.protocol_analysis import verification_frame

    return _read_run(source, lambda store: verification_frame(store, scorer=scorer))
