"""Export a store as the long responses table (its owner: :mod:`gapeval.responses`).

One row per answer, with the columns ``model, item, pair, direction, score, category, subtask,
session, turn, sample, context_tokens, status, protocol, step``; rows are sorted by model, protocol,
item (or dialogue), turn, step and sample, so the table does not depend on the order answers were
committed (a merged sharded run exports the same table as an unsharded one). By default only the
``final`` step of each protocol is a row (the answer that counts); :func:`steps_frame` lists every
step with its cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gapeval.errors import GapevalError
from gapeval.responses import TABLE_COLUMNS
from gapeval.store.respondents import choose

if TYPE_CHECKING:
    from gapeval.store.store import Store

__all__ = ["COLUMNS", "STEP_COLUMNS", "to_frame", "steps_frame"]

#: Columns of the exported table, in order (the long table's, :data:`gapeval.responses.TABLE_COLUMNS`).
COLUMNS = TABLE_COLUMNS

#: Columns of :func:`steps_frame`, in order.
STEP_COLUMNS = (
    "model",
    "protocol",
    "item",
    "session",
    "turn",
    "sample",
    "step",
    "direction",
    "status",
    "context_tokens",
    "output_tokens",
    "latency_s",
    "called",
    "copied_from",
)

_STEPS = {"final": "a.step = 'final'", "answers": "(a.step = 'final' OR a.step LIKE 'candidate-%')", "all": "1"}

_LABELS = "model, item, pair, direction, {score} AS score, category, subtask, session, turn, sample"
_SAME_KEY = " AND ".join(
    f"{{a}}.{column} = {{b}}.{column}"
    for column in ("model", "protocol", "unit", "turn_key", "step", "sample")
)


def _choose_scorer(store: Store, scorer: str | None, *, include_unscored: bool) -> str | None:
    known = store.scorers()
    if scorer is not None:
        if scorer not in known:
            raise GapevalError(
                f"scorer {scorer!r} has no scores in {store!r}; scorers there: "
                f"{', '.join(known) or 'none'}"
            )
        return scorer
    if len(known) == 1:
        return known[0]
    if len(known) > 1:
        raise GapevalError(
            f"{store!r} holds scores from several scorers ({', '.join(known)}); "
            "pick one (gapeval export/report --scorer NAME; scorer= in Python)"
        )
    if include_unscored:
        return None
    raise GapevalError(
        f"{store!r} holds no scores yet; score the answers first (gapeval score), "
        "or export answers with empty scores (gapeval export --include-unscored; include_unscored=True in Python)"
    )


def _respondent_filter(store: Store, fingerprints: Mapping[str, str] | None) -> tuple[str, tuple[str, ...]]:
    """SQL condition (on alias ``a``) keeping, for each model answered under several fingerprints,
    the answers of the chosen one (:func:`gapeval.store.respondents.choose`)."""
    counts: dict[str, dict[str | None, int]] = {}
    respondent = "respondent" if store.schema_version >= 3 else "NULL"  # version 2 records none
    for model, digest, count in store._query(f"SELECT model, {respondent}, COUNT(*) FROM answers GROUP BY 1, 2"):
        counts.setdefault(model, {})[digest] = count
    keep = choose(counts, fingerprints, where=repr(store))
    if not keep:
        return "1", ()
    condition = " AND ".join("(a.model != ? OR a.respondent = ?)" for _ in keep)
    return condition, tuple(value for pair in keep.items() for value in pair)


def to_frame(
    store: Store,
    *,
    scorer: str | None = None,
    include_unscored: bool = False,
    include_errors: bool = False,
    steps: str = "final",
    fingerprints: Mapping[str, str] | None = None,
) -> Any:
    """The long responses table of ``store`` as a pandas DataFrame.

    Parameters
    ----------
    store : Store
        The store to export.
    scorer : str, optional
        Whose scores fill the ``score`` column; may be left out when the store has one scorer.
    include_unscored : bool
        Keep answers the scorer has not scored (refusals, unsupported turns...), with ``score``
        empty. By default only scored answers are rows.
    include_errors : bool
        Add one row (``status='error'``, empty score) per key that has logged errors and no answer.
    steps : {'final', 'answers', 'all'}
        Which protocol steps are rows: the ``final`` answers (default), also the ``candidate-k``
        answers of best-of-N and self-verification (``answers``), or every stored step (``all``;
        thoughts, rewrites and verdicts are rarely scored).
    fingerprints : mapping, optional
        Model -> the digest (or a unique prefix) of the configuration whose answers to keep, for a
        model answered under several configurations (an allowed change, see
        :mod:`gapeval.store.respondents`); such a model without a choice raises.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; ``turn`` and ``context_tokens`` are nullable integers.

    Raises
    ------
    GapevalError
        If ``scorer`` is unknown, or is needed to choose between several scorers, or the store has
        no scores and ``include_unscored`` is false.
    RespondentMixError
        If a model was answered under several configurations and ``fingerprints`` does not choose.
    """
    import pandas as pd

    if steps not in _STEPS:
        raise GapevalError(f"steps={steps!r} is not one of {sorted(_STEPS)}")
    chosen = _choose_scorer(store, scorer, include_unscored=include_unscored)
    kept, kept_parameters = _respondent_filter(store, fingerprints)
    parts = [
        f"SELECT {_LABELS.format(score='s.score')}, input_tokens AS context_tokens, status, "
        "protocol, step, unit, turn_key FROM answers a LEFT JOIN scores s ON s.answer_id = a.id "
        f"AND s.scorer = ? WHERE {_STEPS[steps]} AND {kept}"
        + ("" if include_unscored else " AND s.score IS NOT NULL")
    ]
    if include_errors:
        parts.append(
            f"SELECT {_LABELS.format(score='NULL')}, NULL, 'error', protocol, step, unit, turn_key "
            f"FROM errors a WHERE {_STEPS[steps]} AND "
            "a.id = (SELECT MAX(f.id) FROM errors f WHERE "
            + _SAME_KEY.format(a="f", b="a")
            + ") AND NOT EXISTS (SELECT 1 FROM answers g WHERE "
            + _SAME_KEY.format(a="g", b="a")
            + ")"
        )
    sql = " UNION ALL ".join(parts) + " ORDER BY model, protocol, unit, turn_key, step, sample"
    rows = store._query(sql, (chosen, *kept_parameters))
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "unit", "turn_key"])
    frame = frame.drop(columns=["unit", "turn_key"])
    return frame.astype(
        {
            "score": "float64",
            "turn": "Int64",
            "sample": "int64",
            "context_tokens": "Int64",
        }
    )


def steps_frame(store: Store, *, fingerprints: Mapping[str, str] | None = None) -> Any:
    """Every stored step of every protocol, with what it cost: one row per stored answer.

    Columns :data:`STEP_COLUMNS`: the key (``model, protocol, item, session, turn, sample, step``),
    ``direction`` and ``status`` of the step, ``context_tokens`` and ``output_tokens`` as the
    adapter reported them, ``latency_s``, ``called`` (``False`` for a ``final`` row that repeats a
    chosen candidate without a model call) and ``copied_from`` (that candidate). Rows are sorted like
    :func:`to_frame`; calls that ended in an error are not rows (they are in the error log).
    ``fingerprints`` chooses configurations as in :func:`to_frame`.

    Examples
    --------
    >>> import tempfile
    >>> from gapeval.store import Store
    >>> with Store(tempfile.mkdtemp()) as store:
    ...     list(steps_frame(store).columns) == list(STEP_COLUMNS)
    True
    """
    import pandas as pd

    kept, parameters = _respondent_filter(store, fingerprints)
    rows = store._query(
        "SELECT model, protocol, item, session, turn, sample, step, direction, status, "
        "input_tokens, output_tokens, latency_s, copied_from IS NULL, copied_from, unit, turn_key "
        f"FROM answers a WHERE {kept} ORDER BY model, protocol, unit, turn_key, step, sample",
        parameters,
    )
    frame = pd.DataFrame(rows, columns=[*STEP_COLUMNS, "unit", "turn_key"])
    frame = frame.drop(columns=["unit", "turn_key"])
    return frame.astype(
        {"turn": "Int64", "sample": "int64", "context_tokens": "Int64", "output_tokens": "Int64",
         "latency_s": "float64", "called": "bool"}
    )
