"""The durable, append-only store of one run (or one shard of a run).

A store is a folder::

    RUN_DIR/answers.sqlite   answers, error log, scores, manifests (SQLite, WAL mode)
    RUN_DIR/images/ab/abcdef....png   content-addressed image files
    RUN_DIR/manifest.json    the latest manifest, written atomically

Every answer is committed as soon as it is put (one transaction per :meth:`Store.put`, or per
:meth:`Store.put_many` batch), so a killed run loses at most the answers not yet put. Each answer
has a unique key ``(model, protocol, item or dialogue, turn, protocol step, sample)``
(:class:`AnswerKey`; the protocol is ``direct`` and the step ``final`` unless a protocol says). Putting an answer
whose key exists is a no-op returning ``False`` when the stored answer is identical (same status,
output and error text; latency, usage and raw extras are not compared), and raises
:class:`AnswerConflictError` otherwise: the first answer is never overwritten.

Results with status ``error`` go to an append-only error log, not to the answers: a key with only
errors has no answer, so a resumed run retries it.

Examples
--------
>>> import tempfile
>>> from gapeval.records import Message, OutputSpec, TextPart, TurnRequest, TurnResult
>>> request = TurnRequest(request_id="r1", model="mock", item="q1", seed=0,
...     history=(Message(role="user", parts=(TextPart(text="2+2?"),)),),
...     output=OutputSpec(kind="text"))
>>> result = TurnResult(request_id="r1", status="ok", output=TextPart(text="4"))
>>> with Store(tempfile.mkdtemp()) as store:
...     first, again = store.put(request, result), store.put(request, result)
...     (first, again, store.has(request), len(store))
(True, False, True, 1)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import JsonValue

from gapeval.errors import GapevalError
from gapeval.records import ImagePart, TurnRequest, TurnResult
from gapeval.store.images import ImageFolder
from gapeval.store.keys import (
    KEY_COLUMNS,
    KEY_WHERE,
    AnswerConflictError,
    AnswerKey,
    StoredAnswer,
    answer_digest,
)
from gapeval.store.manifest import write_json_atomic
from gapeval.store.redact import redact, scrub
from gapeval.store.schema import connect
from gapeval.store.scores import describe_key, insert_score

__all__ = ["AnswerConflictError", "AnswerKey", "Store", "StoredAnswer", "answer_digest"]

DATABASE_NAME = "answers.sqlite"
MANIFEST_NAME = "manifest.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _key_of(key: AnswerKey | TurnRequest) -> AnswerKey:
    return AnswerKey.of(key) if isinstance(key, TurnRequest) else key


_KEY_WHERE = KEY_WHERE
_KEYS = ", ".join(KEY_COLUMNS)


class Store:
    """An append-only answer store in folder ``path`` (created when missing).

    Parameters
    ----------
    path : str or path-like
        The run (or shard) folder.
    create : bool
        Create the folder and database when missing; ``False`` raises ``FileNotFoundError``.
    synchronous : {'normal', 'full'}
        Durability: ``normal`` survives killed processes; ``full`` also survives power cuts (SQLite
        ``synchronous=FULL`` and an fsync of every image file).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        synchronous: Literal["normal", "full"] = "normal",
    ) -> None:
        self.path = Path(path)
        if self.path.is_file():
            raise GapevalError(
                f"{str(self.path)!r} is a file; a store is a folder (the run folder)"
            )
        database = self.path / DATABASE_NAME
        if not create and not database.exists():
            raise FileNotFoundError(f"no gapeval store in {str(self.path)!r} (no {DATABASE_NAME})")
        self.path.mkdir(parents=True, exist_ok=True)
        self.images = ImageFolder(self.path / "images", fsync=synchronous == "full")
        self._connection = connect(database, synchronous=synchronous)
        self._lock = threading.RLock()

    # -- life cycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the database connection (checkpointing the WAL)."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM answers")[0][0])

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _query(self, sql: str, parameters: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._connection.execute(sql, tuple(parameters)).fetchall()

    # -- answers ----------------------------------------------------------------------------
    def has(self, key: AnswerKey | TurnRequest) -> bool:
        """Whether an answer (any status but ``error``) is stored for ``key`` or a request's key."""
        rows = self._query(f"SELECT 1 FROM answers WHERE {_KEY_WHERE}", _key_of(key).columns())
        return bool(rows)

    def keys(self) -> set[AnswerKey]:
        """Keys of every stored answer (for resuming: skip what exists)."""
        rows = self._query(f"SELECT {_KEYS} FROM answers")
        return {AnswerKey.from_columns(row) for row in rows}

    def put(self, request: TurnRequest, result: TurnResult) -> bool:
        """Commit one result; return ``True`` if a row was written.

        Raises
        ------
        AnswerConflictError
            If a different answer is stored under the same key.
        """
        return self.put_many([(request, result)])[0]

    def put_many(self, pairs: Iterable[tuple[TurnRequest, TurnResult]]) -> list[bool]:
        """Commit several results in one transaction (all or none); one flag per pair."""
        rows = [self._prepare(request, result) for request, result in pairs]
        written: list[bool] = []
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                written = [self._insert(connection, table, row) for table, row in rows]
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return written

    def _prepare(self, request: TurnRequest, result: TurnResult) -> tuple[str, dict[str, Any]]:
        if result.request_id != request.request_id:
            raise GapevalError(
                f"result for request {result.request_id!r} put with request {request.request_id!r}"
            )
        output, image_file = result.output, None
        if isinstance(output, ImagePart):
            image_file = self.images.put(output.read_bytes(), sha256=output.sha256)
            output = output.model_copy(update={"path": None, "data": None})
        raw: dict[str, JsonValue] = redact(result.raw)
        cleaned = result.model_copy(
            update={
                "output": output,
                "raw": raw,
                "error": None if result.error is None else scrub(result.error),
            }
        )
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
            request_json=request.model_dump_json(),
            result_json=cleaned.model_dump_json(),
            created_at=_now(),
        )
        if result.status == "error":
            row.update(message=cleaned.error, transient=int(result.transient))
            return "errors", row
        row.update(
            status=result.status,
            output_kind=None if output is None else ("image" if image_file else "text"),
            output_text=getattr(output, "text", None),
            image_sha256=getattr(output, "sha256", None),
            image_file=image_file,
            input_tokens=result.usage.input_tokens,
            output_tokens=result.usage.output_tokens,
            latency_s=result.latency_s,
            copied_from=request.copied_from,
            digest=answer_digest(cleaned),
        )
        return "answers", row

    @staticmethod
    def _insert(connection: sqlite3.Connection, table: str, row: Mapping[str, Any]) -> bool:
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        if table == "errors":
            insert = f"INSERT INTO errors ({names}) VALUES ({marks})"
            connection.execute(insert, tuple(row.values()))
            return True
        cursor = connection.execute(
            f"INSERT INTO answers ({names}) VALUES ({marks}) "
            f"ON CONFLICT ({_KEYS}) DO NOTHING",
            tuple(row.values()),
        )
        if cursor.rowcount == 1:
            return True
        key = tuple(row[column] for column in KEY_COLUMNS)
        select = f"SELECT digest FROM answers WHERE {_KEY_WHERE}"
        (stored,) = connection.execute(select, key).fetchone()
        if stored != row["digest"]:
            raise AnswerConflictError(
                f"a different answer is already stored for {describe_key(key)}; answers are "
                "never overwritten: write to a new run folder to answer again"
            )
        return False

    def _answer_from_row(self, row: tuple[Any, ...]) -> StoredAnswer:
        row_id, *columns, request_json, result_json, created, image_file = row
        result = TurnResult.model_validate_json(result_json)
        if image_file is not None and isinstance(result.output, ImagePart):
            image_path = str(self.images.path(image_file))
            result = result.model_copy(
                update={"output": result.output.model_copy(update={"path": image_path})}
            )
        return StoredAnswer(
            id=row_id,
            key=AnswerKey.from_columns(tuple(columns)),
            request=TurnRequest.model_validate_json(request_json),
            result=result,
            created_at=created,
        )

    _ROW = f"id, {_KEYS}, request_json, result_json, created_at"

    def get(self, key: AnswerKey | TurnRequest) -> StoredAnswer | None:
        """The stored answer for ``key`` (or a request's key), or ``None``."""
        rows = self._query(
            f"SELECT {self._ROW}, image_file FROM answers WHERE {_KEY_WHERE}",
            _key_of(key).columns(),
        )
        return self._answer_from_row(rows[0]) if rows else None

    def answers(self, *, model: str | None = None) -> Iterator[StoredAnswer]:
        """Every stored answer (of ``model`` only, if given), in the order committed."""
        where, parameters = ("", ()) if model is None else (" WHERE model = ?", (model,))
        rows = self._query(f"SELECT {self._ROW}, image_file FROM answers{where} ORDER BY id", parameters)
        for row in rows:
            yield self._answer_from_row(row)

    def errors(self) -> list[StoredAnswer]:
        """The error log (every ``error`` result put), in the order committed."""
        rows = self._query(f"SELECT {self._ROW}, NULL FROM errors ORDER BY id")
        return [self._answer_from_row(row) for row in rows]

    # -- scores -----------------------------------------------------------------------------
    def put_score(
        self,
        key: AnswerKey | TurnRequest,
        scorer: str,
        score: float,
        *,
        details: Mapping[str, JsonValue] | None = None,
        replace: bool = False,
    ) -> bool:
        """Store the score given by ``scorer`` to the answer of ``key``; answers are untouched.

        An identical score already stored is a no-op (``False``). A different one raises
        :class:`~gapeval.store.scores.ScoreConflictError` unless ``replace=True``
        (re-scoring with a fixed scorer).
        """
        if not math.isfinite(float(score)):
            raise GapevalError(
                f"scorer {scorer!r} gave score {score!r}; scores must be finite numbers "
                "(leave an unscorable answer unscored instead)"
            )
        columns = _key_of(key).columns()
        details_json = json.dumps(redact(dict(details or {})), sort_keys=True)
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                written = insert_score(
                    connection, columns, scorer, float(score), details_json, replace=replace
                )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return written

    def delete_score(self, key: AnswerKey | TurnRequest, scorer: str) -> bool:
        """Remove the score ``scorer`` gave to the answer of ``key`` (re-scoring found it
        unscorable); return whether one was removed. Answers are never removed."""
        columns = _key_of(key).columns()
        where = _KEY_WHERE.replace("model", "a.model")
        with self._lock:
            cursor = self._connection.execute(
                "DELETE FROM scores WHERE scorer = ? AND answer_id IN "
                f"(SELECT a.id FROM answers a WHERE {where})",
                (scorer, *columns),
            )
        return cursor.rowcount > 0

    def scorers(self) -> list[str]:
        """Names of the scorers with at least one score, sorted."""
        return [row[0] for row in self._query("SELECT DISTINCT scorer FROM scores ORDER BY scorer")]

    def score(self, key: AnswerKey | TurnRequest, scorer: str) -> float | None:
        """The score ``scorer`` gave to the answer of ``key``, or ``None``."""
        rows = self._query(
            "SELECT s.score FROM scores s JOIN answers a ON a.id = s.answer_id "
            f"WHERE s.scorer = ? AND {_KEY_WHERE.replace('model', 'a.model')}",
            (scorer, *_key_of(key).columns()),
        )
        return float(rows[0][0]) if rows else None

    # -- manifest, export, checks -----------------------------------------------------------
    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Append ``manifest`` (credentials stripped) to the store and write ``manifest.json``."""
        cleaned = redact(manifest)
        text = json.dumps(cleaned, sort_keys=True)
        with self._lock:
            self._connection.execute(
                "INSERT INTO manifests (manifest_json, created_at) VALUES (?, ?)", (text, _now())
            )
        write_json_atomic(self.path / MANIFEST_NAME, cleaned)

    def manifests(self) -> list[dict[str, Any]]:
        """Every manifest written to this store, oldest first."""
        rows = self._query("SELECT manifest_json FROM manifests ORDER BY id")
        return [json.loads(row[0]) for row in rows]

    def to_frame(
        self,
        *,
        scorer: str | None = None,
        include_unscored: bool = False,
        include_errors: bool = False,
        steps: str = "final",
    ) -> Any:
        """The long responses table; see :func:`gapeval.store.frame.to_frame`."""
        from gapeval.store.frame import to_frame

        return to_frame(
            self, scorer=scorer, include_unscored=include_unscored, include_errors=include_errors,
            steps=steps,
        )

    def steps_frame(self) -> Any:
        """Every stored protocol step with its cost; see :func:`gapeval.store.frame.steps_frame`."""
        from gapeval.store.frame import steps_frame

        return steps_frame(self)

    def verify(self) -> list[str]:
        """Problems found: SQLite ``integrity_check`` and every image file's hash (empty: fine)."""
        problems = [row[0] for row in self._query("PRAGMA integrity_check") if row[0] != "ok"]
        rows = self._query(
            "SELECT DISTINCT image_file, image_sha256 FROM answers WHERE image_file IS NOT NULL"
        )
        for image_file, sha256 in rows:
            try:
                self.images.read(image_file, sha256=sha256)
            except GapevalError as error:
                problems.append(str(error))
        return problems
