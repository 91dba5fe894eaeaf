"""The database row of a result: images written to the image folder, every string redacted.

:func:`prepare_row` is the one place where a :class:`~gapeval.records.TurnResult` (and its
request) becomes what the store writes, so the redaction pass (:class:`~gapeval.store.redact.Redactor`)
covers all of it: the output text, a refusal's text, error messages, raw extras (whose credential
keys are dropped) and the request's messages.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from gapeval.errors import GapevalError
from gapeval.records import ImagePart, TextPart, TurnRequest, TurnResult
from gapeval.store.images import ImageFolder
from gapeval.store.keys import KEY_COLUMNS, KEY_WHERE, AnswerConflictError, AnswerKey, answer_digest
from gapeval.store.redact import Redactor
from gapeval.store.scores import describe_key

__all__ = ["insert_row", "prepare_row"]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _clean_result(result: TurnResult, output: Any, redactor: Redactor) -> TurnResult:
    if isinstance(output, TextPart):
        output = output.model_copy(update={"text": redactor.text(output.text)})
    return result.model_copy(
        update={
            "output": output,
            "raw": redactor.value(result.raw),
            "error": None if result.error is None else redactor.text(result.error),
        }
    )


def _request_json(request: TurnRequest, redactor: Redactor) -> str:
    return json.dumps(redactor.strings(request.model_dump(mode="json")), separators=(",", ":"))


def prepare_row(
    request: TurnRequest,
    result: TurnResult,
    *,
    images: ImageFolder,
    redactor: Redactor,
    respondent: str | None,
) -> tuple[str, dict[str, Any]]:
    """``(table, row)`` for ``result``: ``errors`` for an error, else ``answers``.

    An image output is written to ``images`` first (content-addressed); the row holds its hash.
    ``respondent`` is the digest of the model's fingerprint (:mod:`gapeval.store.respondents`).
    """
    if result.request_id != request.request_id:
        raise GapevalError(f"result for request {result.request_id!r} put with request {request.request_id!r}")
    output, image_file = result.output, None
    if isinstance(output, ImagePart):
        image_file = images.put(output.read_bytes(), sha256=output.sha256)
        output = output.model_copy(update={"path": None, "data": None})
    cleaned = _clean_result(result, output, redactor)
    key = AnswerKey.of(request)
    row: dict[str, Any] = dict(
        zip(KEY_COLUMNS, key.columns(), strict=True),
        item=request.item,
        session=request.session,
        turn=request.turn,
        pair=request.info.pair,
        category=request.info.category,
        subtask=request.info.subtask,
        direction=request.direction,
        request_id=request.request_id,
        seed=request.seed,
        request_json=_request_json(request, redactor),
        result_json=cleaned.model_dump_json(),
        created_at=_now(),
    )
    if result.status == "error":
        row.update(message=cleaned.error, transient=int(result.transient))
        return "errors", row
    row.update(
        status=result.status,
        output_kind=None if cleaned.output is None else ("image" if image_file else "text"),
        output_text=getattr(cleaned.output, "text", None),
        image_sha256=getattr(cleaned.output, "sha256", None),
        image_file=image_file,
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        latency_s=result.latency_s,
        copied_from=request.copied_from,
        respondent=respondent,
        digest=answer_digest(cleaned),
    )
    return "answers", row


def insert_row(connection: sqlite3.Connection, table: str, row: Mapping[str, Any]) -> bool:
    """Insert a prepared row inside the caller's transaction; ``True`` if a row was written.

    An answer whose key is stored already is a no-op when identical (same digest) and raises
    :class:`~gapeval.store.keys.AnswerConflictError` otherwise; error-log rows are always added.
    """
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    if table == "errors":
        connection.execute(f"INSERT INTO errors ({names}) VALUES ({marks})", tuple(row.values()))
        return True
    keys = ", ".join(KEY_COLUMNS)
    cursor = connection.execute(
        f"INSERT INTO answers ({names}) VALUES ({marks}) ON CONFLICT ({keys}) DO NOTHING", tuple(row.values())
    )
    if cursor.rowcount == 1:
        return True
    key = tuple(row[column] for column in KEY_COLUMNS)
    (stored,) = connection.execute(f"SELECT digest FROM answers WHERE {KEY_WHERE}", key).fetchone()
    if stored != row["digest"]:
        raise AnswerConflictError(
            f"a different answer is already stored for {describe_key(key)}; answers are "  # type: ignore[arg-type]
            "never overwritten: write to a new run folder to answer again"
        )
    return False
