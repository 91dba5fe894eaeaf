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
from gapeval.store import respondents
from gapeval.store.keys import (
    KEY_COLUMNS,
    KEY_WHERE,
    AnswerConflictError,
    AnswerKey,
    StoredAnswer,
    answer_digest,
)
from gapeval.store.manifest import write_json_atomic
from gapeval.store.redact import Redactor
from gapeval.store.rows import prepare_row
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
    secrets : iterable of str
        Exact credential values given to the run (:func:`~gapeval.store.redact.secrets_in`): they are
        replaced by ``<redacted>`` in everything written, with the environment's credentials and
        credential-looking values (:class:`~gapeval.store.redact.Redactor`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        synchronous: Literal["normal", "full"] = "normal",
        secrets: Iterable[str] = (),
    ) -> None:
        self.path = Path(path)
        self.redactor = Redactor(secrets=frozenset(secrets))
        """The redaction pass applied to everything this store writes."""
        self._respondents: dict[str, str] = {}
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
        return prepare_row(
            request, result, images=self.images, redactor=self.redactor,
            respondent=self._respondents.get(request.model),
        )

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
        details_json = json.dumps(self.redactor.value(dict(details or {})), sort_keys=True)
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
        cleaned = self.redactor.value(manifest)
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

    # -- respondents ------------------------------------------------------------------------
    def register_respondent(
        self, model: str, fingerprint: Mapping[str, Any], *, allow_change: bool = False
    ) -> dict[str, Any] | None:
        """Record ``model``'s fingerprint; the answers this store object puts for ``model`` from now
        on carry its digest (:mod:`gapeval.store.respondents`).

        Returns the earlier fingerprint when ``allow_change`` let a different one through (the change
        is recorded), else ``None``.

        Raises
        ------
        RespondentChangedError
            If ``model``'s latest fingerprint differs and ``allow_change`` is false.
        """
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                digest, earlier = respondents.register(connection, model, fingerprint, allow_change=allow_change)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        self._respondents[model] = digest
        return earlier

    def check_respondent(self, model: str, partial: Mapping[str, Any]) -> None:
        """Raise :class:`~gapeval.store.respondents.RespondentChangedError` when the given parts of a
        fingerprint (e.g. ``adapter`` and ``options``) differ from ``model``'s latest ones."""
        with self._lock:
            respondents.check(self._connection, model, partial)

    def respondents(self) -> list[dict[str, Any]]:
        """Every recorded configuration, oldest first: ``model``, ``digest``, ``fingerprint``,
        ``changed_from`` (the digest an allowed change replaced) and ``created_at``."""
        rows = self._query(
            "SELECT model, digest, fingerprint_json, changed_from, created_at FROM respondents ORDER BY id"
        )
        return [
            {"model": m, "digest": d, "fingerprint": json.loads(f), "changed_from": c, "created_at": t}
            for m, d, f, c, t in rows
        ]

    def to_frame(
        self,
        *,
        scorer: str | None = None,
        include_unscored: bool = False,
        include_errors: bool = False,
        steps: str = "final",
        fingerprints: Mapping[str, str] | None = None,
    ) -> Any:
        """The long responses table; see :func:`gapeval.store.frame.to_frame`."""
        from gapeval.store.frame import to_frame

        return to_frame(
            self, scorer=scorer, include_unscored=include_unscored, include_errors=include_errors,
            steps=steps, fingerprints=fingerprints,
        )

    def steps_frame(self, *, fingerprints: Mapping[str, str] | None = None) -> Any:
        """Every stored protocol step with its cost; see :func:`gapeval.store.frame.steps_frame`."""
        from gapeval.store.frame import steps_frame

        return steps_frame(self, fingerprints=fingerprints)

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
