"""The score record every scorer returns.

A scorer never raises on the text (or image) it is asked to score: it returns a :class:`Score` whose
``status`` is ``"scored"`` with a ``value`` in [0, 1], or ``"unscorable"`` with ``value=None`` and a
reason in ``detail``. Invalid *options* (an unknown mode, a negative tolerance) do raise
:class:`~gapeval.errors.GapevalError`, before any text is looked at.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from gapeval.errors import GapevalError

__all__ = ["Score", "ScoreStatus", "scored", "unscorable"]

#: The two states of a score.
ScoreStatus = Literal["scored", "unscorable"]


class Score(BaseModel):
    """One scored answer, with the provenance of the rule that scored it.

    Examples
    --------
    >>> s = scored(0.75, scorer="imug_mcq", mode="compat", version="1", extracted="A")
    >>> s.value, s.status, s.is_scored
    (0.75, 'scored', True)
    >>> u = unscorable("no number in reply", scorer="number", mode="lenient", version="1")
    >>> u.value is None, u.status
    (True, 'unscorable')
    >>> Score.model_validate_json(s.model_dump_json()) == s
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    value: float | None
    """The score in [0, 1]; ``None`` exactly when ``status`` is ``"unscorable"``."""
    status: ScoreStatus
    """``"scored"`` or ``"unscorable"`` (no answer could be read; never silently a 0)."""
    scorer: str
    """Name of the scoring rule, e.g. ``"imug_mcq"``."""
    mode: str
    """Variant of the rule, e.g. ``"compat"`` (reproduces an anchor) or ``"fixed"``."""
    version: str
    """Version of the rule's implementation; bumped whenever its outputs can change."""
    detail: str = ""
    """A short human-readable account: what was compared, or why nothing could be scored."""
    extracted: str | None = None
    """What the scorer read from the answer (letters, a number, normalised text), if anything."""
    judge_calls: tuple[dict[str, Any], ...] = ()
    """For judged scores, each question put to the judge: ``template_hash``, the raw ``replies``
    (one per attempt), the ``parsed`` result and whether it was a ``cache_hit``."""

    @model_validator(mode="after")
    def _check_value(self) -> Score:
        if self.status == "scored":
            if self.value is None or not math.isfinite(self.value) or not 0.0 <= self.value <= 1.0:
                raise GapevalError(
                    f"a scored Score needs a value in [0, 1], got {self.value!r}; "
                    "clip the value or return an unscorable Score"
                )
        elif self.value is not None:
            raise GapevalError(
                f"an unscorable Score must have value=None, got {self.value!r}; drop the value"
            )
        return self

    @property
    def is_scored(self) -> bool:
        """True when the score has a value."""
        return self.status == "scored"


def scored(
    value: float,
    *,
    scorer: str,
    mode: str,
    version: str,
    detail: str = "",
    extracted: str | None = None,
) -> Score:
    """Return a scored :class:`Score` with ``value`` in [0, 1].

    Examples
    --------
    >>> scored(1, scorer="text", mode="exact", version="1").value
    1.0
    """
    return Score(
        value=float(value),
        status="scored",
        scorer=scorer,
        mode=mode,
        version=version,
        detail=detail,
        extracted=extracted,
    )


def unscorable(
    reason: str,
    *,
    scorer: str,
    mode: str,
    version: str,
    extracted: str | None = None,
) -> Score:
    """Return an unscorable :class:`Score` whose ``detail`` says why.

    Examples
    --------
    >>> unscorable("empty key", scorer="imug_mcq", mode="fixed", version="1").detail
    'empty key'
    """
    return Score(
        value=None,
        status="unscorable",
        scorer=scorer,
        mode=mode,
        version=version,
        detail=reason,
        extracted=extracted,
    )
