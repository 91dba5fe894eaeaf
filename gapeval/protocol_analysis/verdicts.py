"""The model's own verdicts on its candidates next to the reference scorer's, from a run's store.

Under ``self-verify`` each ``verify-k`` step is the model's judgement of its ``candidate-k``; the
reference scorer's score of that candidate says whether the judgement was right. The frame built
here feeds :func:`gapeval.decay.self_verification_drift` (acceptance of outputs the reference
rejects, by turn) and shows the same by round.

Examples
--------
>>> import tempfile
>>> from gapeval.store import Store
>>> with Store(tempfile.mkdtemp()) as store:
...     list(verification_frame(store).columns)
['model', 'protocol', 'item', 'session', 'turn', 'sample', 'round', 'self_verdict', 'reference', 'score', 'verdict_text']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapeval.protocols.prompts import parse_verdict

if TYPE_CHECKING:
    from gapeval.store import Store

__all__ = ["VERDICT_COLUMNS", "verification_frame"]

#: Columns of :func:`verification_frame`.
VERDICT_COLUMNS = (
    "model", "protocol", "item", "session", "turn", "sample", "round", "self_verdict", "reference", "score",
    "verdict_text",
)

_SAME_ANSWER = " AND ".join(f"c.{column} = v.{column}" for column in ("model", "protocol", "unit", "turn_key", "sample"))


def verification_frame(store: Store, *, scorer: str | None = None, threshold: float = 1.0) -> Any:
    """One row per self-verification verdict, with the reference scorer's verdict on the same candidate.

    Parameters
    ----------
    store : Store
        A run's store holding ``self-verify`` steps (and scores; see ``gapeval score``).
    scorer : str, optional
        Whose scores are the reference; may be left out when the store has one scorer.
    threshold : float
        A candidate whose score is at least ``threshold`` is ``accept`` for the reference (1.0:
        fully correct; lower it for partial-credit items).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VERDICT_COLUMNS`: the key, ``round`` (k of ``verify-k``), ``self_verdict`` and
        ``reference`` (``accept``/``reject``; the model's verdict is ``reject`` unless it starts with
        YES, as the protocol reads it; the reference is empty when the candidate is unscored),
        the candidate's ``score`` and the model's ``verdict_text``. ``turn`` is empty for standalone
        items.
    """
    import pandas as pd

    scorers = store.scorers()
    chosen = scorer if scorer is not None else (scorers[0] if len(scorers) == 1 else None)
    rows = store._query(
        "SELECT v.model, v.protocol, v.item, v.session, v.turn, v.sample, "
        "CAST(substr(v.step, 8) AS INTEGER), v.output_text, s.score FROM answers v "
        f"JOIN answers c ON {_SAME_ANSWER} AND c.step = 'candidate-' || substr(v.step, 8) "
        "LEFT JOIN scores s ON s.answer_id = c.id AND s.scorer = ? "
        "WHERE v.step LIKE 'verify-%' ORDER BY v.model, v.protocol, v.unit, v.turn_key, v.sample, v.step",
        (chosen,),
    )
    records = [
        (*key, "accept" if parse_verdict(text) else "reject",
         None if score is None else ("accept" if score >= threshold else "reject"), score, text)
        for *key, text, score in rows
    ]
    frame = pd.DataFrame(records, columns=list(VERDICT_COLUMNS))
    return frame.astype({"turn": "Int64", "sample": "int64", "round": "int64", "score": "float64"})
