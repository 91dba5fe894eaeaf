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

Any number of readers may open a store with ``readonly=True`` (nothing in the folder is written,
so a read-only folder works). A damaged database, a full disk and a read-only folder raise the
named errors of :mod:`gapeval.store.failures`.

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
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import JsonValue, ValidationError

from gapeval.errors import GapevalError
from gapeval.records import ImagePart, TurnRequest, TurnResult
from gapeval.store import respondents
from gapeval.store.choices import StoredChoice, insert_choice, read_choices
from gapeval.store.failures import StoreReadOnlyError, corrupt, translated
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
from gapeval.store.redact import Redactor
from gapeval.store.rows import insert_row, prepare_row
from gapeval.store.schema import SCHEMA_VERSION, connect, connect_readonly
from gapeval.store.scores import insert_score

__all__ = ["AnswerConflictError", "AnswerKey", "Store", "StoredAnswer", "answer_digest"]

DATABASE_NAME = "answers.sqlite"
MANIFEST_NAME = "manifest.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _key_of(key: AnswerKey | TurnRequest) -> AnswerKey:
    return AnswerKey.of(key) if isinstance(key, TurnRequest) else key


_KEY_WHERE = KEY_WHERE
_KEYS = ", ".join(KEY_COLUMNS)


def _check_not_lost(folder: Path, database: Path) -> None:
    """Refuse to start a new database where a store's database was lost or emptied."""
    if database.exists() and database.stat().st_size > 0:
        return
    images = sum(1 for path in (folder / "images").glob("*/*") if not path.name.startswith(".tmp-"))
    manifest = (folder / MANIFEST_NAME).exists()
    if images or manifest:
        state = "is empty (0 bytes)" if database.exists() else "is missing"
        held = ", ".join(([f"{images} image files"] if images else []) + (["a manifest"] if manifest else []))
        raise corrupt(
            repr(str(folder)),
            f"its database {DATABASE_NAME} {state} but the folder holds {held}, so answers were lost; "
            "opening it would start the run again from nothing",
        )


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
    readonly : bool
        Open an existing store for reading only (export, fit, report): nothing in its folder is
        written, so a read-only folder works; writing methods raise :class:`StoreReadOnlyError`.

    Raises
    ------
    FileNotFoundError
        If there is no store in ``path`` and ``create`` is false or ``readonly`` true.
    gapeval.store.failures.StoreError
        :class:`~gapeval.store.failures.StoreCorruptError` for a damaged database, or an empty or
        missing one beside the images and manifest of a run; :class:`StoreFullError
        <gapeval.store.failures.StoreFullError>`; :class:`StoreReadOnlyError` for a writer in a
        read-only folder; :class:`~gapeval.store.schema.StoreSchemaError` for another schema version.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        synchronous: Literal["normal", "full"] = "normal",
        secrets: Iterable[str] = (),
        readonly: bool = False,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.redactor = Redactor(secrets=frozenset(secrets))
        """The redaction pass applied to everything this store writes."""
        self._respondents: dict[str, str] = {}
        self._lock = threading.RLock()
        if self.path.is_file():
            raise GapevalError(f"{str(self.path)!r} is a file; a store is a folder (the run folder)")
        database = self.path / DATABASE_NAME
        if (readonly or not create) and not database.exists():
            raise FileNotFoundError(f"no gapeval store in {str(self.path)!r} (no {DATABASE_NAME})")
        if readonly:
            self.images = ImageFolder(self.path / "images", create=False)
            self._connection = connect_readonly(database)
            self.schema_version = int(self._query("SELECT value FROM meta WHERE name = 'schema_version'")[0][0])
            return
        _check_not_lost(self.path, database)
        with translated(self.path, "creating the store"):
            self.path.mkdir(parents=True, exist_ok=True)
            self.images = ImageFolder(self.path / "images", fsync=synchronous == "full")
        self._connection = connect(database, synchronous=synchronous)
        self.schema_version = SCHEMA_VERSION
        """Schema version of the database (a version-2 store opened read-only stays at 2)."""

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
        with self._lock, translated(self.path, "reading it"):
            return self._connection.execute(sql, tuple(parameters)).fetchall()

    @contextmanager
    def _writing(self, doing: str) -> Iterator[Any]:
        """One ``BEGIN IMMEDIATE ... COMMIT`` transaction (rolled back on failure), storage failures named."""
        if self.readonly:
            raise StoreReadOnlyError(
                f"{self!r} was opened read-only, so {doing} is not possible; open it with readonly=False"
            )
        with self._lock, translated(self.path, doing):
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

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
        gapeval.store.failures.StoreError
            When the disk is full, the folder read-only or the database damaged (nothing of the
            result is committed; what was committed before is intact).
        """
        return self.put_many([(request, result)])[0]

    def put_many(self, pairs: Iterable[tuple[TurnRequest, TurnResult]]) -> list[bool]:
        """Commit several results in one transaction (all or none); one flag per pair."""
        with translated(self.path, "writing an answer's image"):
            rows = [self._prepare(request, result) for request, result in pairs]
        with self._writing("committing answers") as connection:
            return [insert_row(connection, table, row) for table, row in rows]

    def _prepare(self, request: TurnRequest, result: TurnResult) -> tuple[str, dict[str, Any]]:
        if self.readonly:
            raise StoreReadOnlyError(f"{self!r} was opened read-only; answers cannot be put")
        return prepare_row(
            request, result, images=self.images, redactor=self.redactor,
            respondent=self._respondents.get(request.model),
        )

    def _answer_from_row(self, row: tuple[Any, ...]) -> StoredAnswer:
        row_id, *columns, request_json, result_json, created, image_file = row
        try:
            result = TurnResult.model_validate_json(result_json)
            request = TurnRequest.model_validate_json(request_json)
        except (ValidationError, ValueError) as error:
            detail = str(error).splitlines()[0]
            raise corrupt(repr(str(self.path)), f"answer row {row_id} cannot be read back ({detail})") from None
        if image_file is not None and isinstance(result.output, ImagePart):
            image_path = str(self.images.path(image_file))
            result = result.model_copy(
                update={"output": result.output.model_copy(update={"path": image_path})}
            )
        return StoredAnswer(
            id=row_id, key=AnswerKey.from_columns(tuple(columns)), request=request, result=result, created_at=created
        )

    _ROW = f"id, {_KEYS}, request_json, result_json, created_at"

    def get(self, key: AnswerKey | TurnRequest) -> StoredAnswer | None:
        """The stored answer for ``key`` (or a request's key), or ``None``."""
        rows = self._query(
            f"SELECT {self._ROW}, image_file FROM answers WHERE {_KEY_WHERE}",
            _key_of(key).columns(),
        )
        return self._answer_from_row(rows[0]) if rows else None

    def answers(self, *, model: str | None = None, units: Collection[str] | None = None) -> Iterator[StoredAnswer]:
        """Every stored answer (of ``model`` and of items or dialogues ``units`` only, if given), in the
        order committed."""
        conditions, parameters = [], []
        if model is not None:
            conditions, parameters = ["model = ?"], [model]
        if units is not None:
            conditions.append(f"unit IN ({', '.join('?' * len(units))})")
            parameters += list(units)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
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
        with self._writing("writing a score") as connection:
            return insert_score(connection, columns, scorer, float(score), details_json, replace=replace)

    def delete_score(self, key: AnswerKey | TurnRequest, scorer: str) -> bool:
        """Remove the score ``scorer`` gave to the answer of ``key`` (re-scoring found it
        unscorable); return whether one was removed. Answers are never removed."""
        columns = _key_of(key).columns()
        where = _KEY_WHERE.replace("model", "a.model")
        with self._writing("removing a score") as connection:
            cursor = connection.execute(
                f"DELETE FROM scores WHERE scorer = ? AND answer_id IN (SELECT a.id FROM answers a WHERE {where})",
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

    # -- the choice log of adaptive runs ----------------------------------------------------
    def put_choice(self, choice: StoredChoice) -> bool:
        """Log one step of an adaptive run in its own transaction (:mod:`gapeval.store.choices`):
        ``True`` if written, ``False`` when an identical one is logged; a different choice for the
        same model and step raises :class:`~gapeval.store.choices.ChoiceConflictError`."""
        with self._writing("logging a choice") as connection:
            return insert_choice(connection, choice, _now())

    def choices(self, model: str | None = None) -> list[StoredChoice]:
        """The logged choices (of ``model`` only, if given), by model and step."""
        if not self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'choices'"):
            return []  # a store written before adaptive testing, opened read-only
        where, parameters = ("", ()) if model is None else (" WHERE model = ?", (model,))
        return read_choices(self._query(f"SELECT model, step, choice_json FROM choices{where} ORDER BY model, step", parameters))

    # -- manifest, export, checks -----------------------------------------------------------
    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Append ``manifest`` (credentials stripped) to the store and write ``manifest.json``."""
        cleaned = self.redactor.value(manifest)
        text = json.dumps(cleaned, sort_keys=True)
        with self._writing("writing the manifest") as connection:
            connection.execute("INSERT INTO manifests (manifest_json, created_at) VALUES (?, ?)", (text, _now()))
        with translated(self.path, f"writing {MANIFEST_NAME}"):
            write_json_atomic(self.path / MANIFEST_NAME, cleaned)

    def manifests(self) -> list[dict[str, Any]]:
        """Every manifest written to this store, oldest first."""
        rows = self._query("SELECT id, manifest_json FROM manifests ORDER BY id")
        try:
            return [json.loads(text) for _, text in rows]
        except ValueError as error:
            bad = next(row_id for row_id, text in rows if not _is_json(text))
            raise corrupt(repr(str(self.path)), f"manifest {bad} is not JSON ({error})") from None

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
        with self._writing("recording a model's fingerprint") as connection:
            digest, earlier = respondents.register(connection, model, fingerprint, allow_change=allow_change)
        self._respondents[model] = digest
        return earlier

    def check_respondent(self, model: str, partial: Mapping[str, Any]) -> None:
        """Raise :class:`~gapeval.store.respondents.RespondentChangedError` when the given parts of a
        fingerprint (e.g. ``adapter`` and ``options``) differ from ``model``'s latest ones."""
        with self._lock, translated(self.path, "reading the models' fingerprints"):
            respondents.check(self._connection, model, partial)

    def respondents(self) -> list[dict[str, Any]]:
        """Every recorded configuration, oldest first: ``model``, ``digest``, ``fingerprint``,
        ``changed_from`` (the digest an allowed change replaced) and ``created_at``."""
        if self.schema_version < 3:
            return []
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
        """Problems found, as sentences (empty: fine); never raises for a damaged store.

        SQLite's ``integrity_check``, every stored request and result read back as JSON text, and
        every image file re-hashed (:func:`gapeval.store.verify.verify`).
        """
        from gapeval.store.verify import verify

        return verify(self)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
