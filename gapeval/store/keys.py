"""Answer keys, stored answers and the identity of an answer."""

from __future__ import annotations

import hashlib
import json

from pydantic import Field

from gapeval.errors import GapevalError
from gapeval.records import TurnRequest, TurnResult
from gapeval.records._base import Record

__all__ = ["KEY_COLUMNS", "KEY_WHERE", "AnswerConflictError", "AnswerKey", "StoredAnswer", "answer_digest"]

#: The columns of an answer's unique key in the store, in the order of :meth:`AnswerKey.columns`.
KEY_COLUMNS = ("model", "protocol", "unit", "turn_key", "step", "sample")
#: SQL condition matching one key (parameters in the order of :data:`KEY_COLUMNS`).
KEY_WHERE = " AND ".join(f"{column} = ?" for column in KEY_COLUMNS)


class AnswerConflictError(GapevalError):
    """An answer (or score) for this key exists and differs from the one being put."""


class AnswerKey(Record):
    """The unique key of an answer: model, protocol, item (or dialogue), turn, protocol step, sample."""

    model: str
    """Model spec name."""
    unit: str
    """Item id for a standalone item, dialogue id for a dialogue turn."""
    turn: int | None = Field(default=None, ge=1)
    """1-based turn of a dialogue; ``None`` for a standalone item."""
    sample: int = Field(default=0, ge=0)
    """Repeat index."""
    protocol: str = "direct"
    """Evaluation protocol label (:mod:`gapeval.protocols`)."""
    step: str = "final"
    """Protocol step (``final`` for the answer that counts)."""

    @classmethod
    def of(cls, request: TurnRequest) -> AnswerKey:
        """The key a request's answer is stored under."""
        return cls(model=request.model, unit=request.unit, turn=request.turn, sample=request.sample,
                   protocol=request.protocol, step=request.step)

    @classmethod
    def from_columns(cls, columns: tuple[str, str, str, int, str, int]) -> AnswerKey:
        """The key of a row's :data:`KEY_COLUMNS` values."""
        model, protocol, unit, turn_key, step, sample = columns
        return cls(model=model, protocol=protocol, unit=unit, turn=turn_key or None, step=step, sample=sample)

    def columns(self) -> tuple[str, str, str, int, str, int]:
        """The :data:`KEY_COLUMNS` values as stored (``turn_key`` is 0 for an item)."""
        return (self.model, self.protocol, self.unit, self.turn or 0, self.step, self.sample)


class StoredAnswer(Record):
    """An answer (or a logged error) read back from the store."""

    id: int
    """Row id in its table."""
    key: AnswerKey
    """The answer key."""
    request: TurnRequest
    """The request as it was sent."""
    result: TurnResult
    """The result; an image output's ``path`` points into the store's image folder."""
    created_at: str
    """UTC time it was committed (ISO 8601)."""


def answer_digest(result: TurnResult) -> str:
    """Hash of what identifies an answer: status, output (text or image sha256) and error text."""
    output = None if result.output is None else result.output.model_dump(exclude={"path"})
    payload = {"status": result.status, "output": output, "error": result.error}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
