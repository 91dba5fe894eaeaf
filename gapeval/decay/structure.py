"""Which random-effect structure the decay models fit: nested dialogue runs, or dialogues and items crossed with models.

``nested``: ``(1 + turn | model) + (1 | model:session)``. Every model's run of a dialogue gets its own
intercept and nothing is shared between models. Right when every model ran its own dialogues (no
dialogue or item id occurs under two models).

``crossed``: ``(1 + turn | model) + (1 | session) + (1 | item) + (1 | model:session)``. When the same
dialogues and items are given to every model — every interleaved benchmark does this — a hard
dialogue or a hard item is hard for every model. The nested structure has no term for what they
share, so it is absorbed into the run intercepts and the residual, the answers of different models
are treated as independent, and the standard errors of the fixed effects (the direction × turn
test first of all) come out far too small. The crossed structure gives the dialogue and the item
their own intercepts, shared by every model (``docs/decay.md`` has the measured coverage of each).

``auto`` (the default) reads the design: crossed when some session or item id occurs under two or
more models, nested otherwise. A session term is included only when session ids are shared, an
item term only when item ids are (a term whose levels each belong to one model duplicates the run
intercept or the residual).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gapeval.decay.errors import DecayError
from gapeval.decay.terms import RandomTerm

__all__ = ["STRUCTURES", "Structure", "choose_structure"]

STRUCTURES = ("auto", "nested", "crossed")


@dataclass(frozen=True)
class Structure:
    """The random-effect structure of a decay fit and why it was chosen."""

    name: str
    """``nested`` or ``crossed``."""
    reason: str
    """Why: the design facts (and whether the user asked for it)."""
    session_term: bool
    """A random intercept per dialogue, shared by every model (``(1 | session)``)."""
    item_term: bool
    """A random intercept per item, shared by every model (``(1 | item)``)."""
    run_term: bool
    """A random intercept per model's run of a dialogue (``(1 | model:session)``)."""

    def terms(self, slope_columns: tuple[str, ...]) -> tuple[RandomTerm, ...]:
        """The random terms on decay's fitting frame (columns ``m``, ``d`` session, ``i`` item)."""
        out = [RandomTerm(("m",), ("Intercept", *slope_columns))]
        if self.session_term:
            out.append(RandomTerm(("d",), ("Intercept",)))
        if self.item_term:
            out.append(RandomTerm(("i",), ("Intercept",)))
        if self.run_term:
            out.append(RandomTerm(("m", "d"), ("Intercept",)))
        return tuple(out)


def _shared(frame: pd.DataFrame, column: str) -> tuple[int, int]:
    """How many ids of ``column`` occur under two or more models, and how many ids there are."""
    per_id = frame.groupby(column, sort=False)["m"].nunique()
    return int((per_id > 1).sum()), len(per_id)


def choose_structure(frame: pd.DataFrame, *, requested: str, has_session: bool, has_item: bool,
                     names: dict[str, str]) -> Structure:
    """The structure for decay's fitting ``frame`` (columns ``m``, and ``d``/``i`` when given).

    Raises
    ------
    DecayError
        For an unknown ``requested`` value, or ``crossed`` when no session or item id is shared by
        two models.
    """
    if requested not in STRUCTURES:
        raise DecayError(f"structure={requested!r} is not one of {list(STRUCTURES)}")
    shared_s, total_s = _shared(frame, "d") if has_session else (0, 0)
    shared_i, total_i = _shared(frame, "i") if has_item else (0, 0)
    facts = []
    if has_session:
        facts.append(f"{shared_s} of {total_s} {names['session']!r} ids")
    if has_item:
        facts.append(f"{shared_i} of {total_i} {names['item']!r} ids")
    fact = " and ".join(facts) + " occur under more than one model" if facts else "no session or item column"
    crossed = shared_s > 0 or shared_i > 0
    if requested == "crossed" and not crossed:
        raise DecayError(f"structure='crossed' needs dialogues or items shared by several models, but {fact}; "
                         "use structure='nested' (each model ran its own dialogues)")
    if requested == "nested" or not crossed:
        how = "requested" if requested == "nested" else "chosen from the design"
        reason = (f"nested ({how}): {fact}; each model's run of a dialogue gets its own intercept and nothing is "
                  "shared between models")
        return Structure("nested", reason, session_term=False, item_term=False, run_term=has_session)
    how = "requested" if requested == "crossed" else "chosen from the design"
    shared = " and ".join(w for w, s in (("dialogues", shared_s), ("items", shared_i)) if s)
    reason = (f"crossed ({how}): {fact}, so the same {shared} were given to several models and get random "
              "intercepts shared by every model")
    return Structure("crossed", reason, session_term=shared_s > 0, item_term=shared_i > 0, run_term=has_session)
