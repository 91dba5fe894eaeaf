"""The SQLite schema of a store and the connection settings (WAL, foreign keys).

Tables
------
``answers``
    One row per answer key ``(model, protocol, unit, turn_key, step, sample)``, where ``unit`` is
    the item id (or the dialogue id for a dialogue turn), ``turn_key`` the 1-based turn (0 for a
    standalone item), ``protocol`` the evaluation protocol's label and ``step`` the protocol step
    (``final`` for the answer that counts; ``copied_from`` names the candidate a ``final`` row
    repeats without a model call). Statuses ``ok``, ``refused`` and ``unsupported`` only. Triggers
    make it append-only.
``errors``
    A log of ``error`` results (several per key possible); append-only. A key with only errors has
    no answer, so a resumed run tries it again.
``scores``
    One row per ``(answer_id, scorer)``; re-scoring writes here and never touches ``answers``.
``manifests``
    Every manifest written to the store, in order (the latest is also ``manifest.json``).
``respondents``
    Every configuration a model name was answered under: its fingerprint, digest and the digest it
    replaced (an allowed change); ``answers.respondent`` holds each answer's digest
    (:mod:`gapeval.store.respondents`).
``choices``
    The choice log of an adaptive run: one row per ``(model, step)`` with the chosen units and the
    answers they were chosen from (:mod:`gapeval.store.choices`); append-only. Version-3 stores
    written before adaptive testing lack it: it is created when one is opened for writing, and a
    reader finds no choices.
``meta``
    ``schema_version``: 3 since respondent fingerprints (version 2 had no ``respondents`` table nor
    ``answers.respondent`` column, and is upgraded in place when opened for writing: the change
    only adds; version 1 had no ``protocol``/``step`` columns).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from gapeval.store.failures import StoreError, StoreReadOnlyError, classify

__all__ = ["SCHEMA_VERSION", "StoreSchemaError", "connect", "connect_readonly"]

SCHEMA_VERSION = 3

_KEY_AND_LABELS = """
    model TEXT NOT NULL,
    protocol TEXT NOT NULL,
    unit TEXT NOT NULL,
    turn_key INTEGER NOT NULL,
    step TEXT NOT NULL,
    sample INTEGER NOT NULL,
    item TEXT NOT NULL,
    session TEXT,
    turn INTEGER,
    pair TEXT,
    category TEXT,
    subtask TEXT,
    direction TEXT NOT NULL CHECK (direction IN ('understanding', 'generation')),
    request_id TEXT NOT NULL,
    seed INTEGER NOT NULL,
"""

_DDL = f"""
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    {_KEY_AND_LABELS}
    status TEXT NOT NULL CHECK (status IN ('ok', 'refused', 'unsupported')),
    output_kind TEXT CHECK (output_kind IN ('text', 'image')),
    output_text TEXT,
    image_sha256 TEXT,
    image_file TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    latency_s REAL,
    copied_from TEXT,
    respondent TEXT,
    digest TEXT NOT NULL,
    request_json TEXT NOT NULL,
    result_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (model, protocol, unit, turn_key, step, sample)
);
CREATE TABLE IF NOT EXISTS errors (
    id INTEGER PRIMARY KEY,
    {_KEY_AND_LABELS}
    message TEXT NOT NULL,
    transient INTEGER NOT NULL,
    request_json TEXT NOT NULL,
    result_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS errors_key ON errors (model, protocol, unit, turn_key, step, sample);
CREATE TABLE IF NOT EXISTS scores (
    answer_id INTEGER NOT NULL REFERENCES answers (id),
    scorer TEXT NOT NULL,
    score REAL NOT NULL,
    details_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, scorer)
);
CREATE TABLE IF NOT EXISTS respondents (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    digest TEXT NOT NULL,
    fingerprint_json TEXT NOT NULL,
    changed_from TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS manifests (
    id INTEGER PRIMARY KEY,
    manifest_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS choices (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    step INTEGER NOT NULL,
    choice_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (model, step)
);
CREATE TRIGGER IF NOT EXISTS choices_no_update BEFORE UPDATE ON choices
BEGIN SELECT RAISE(ABORT, 'the choice log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS choices_no_delete BEFORE DELETE ON choices
BEGIN SELECT RAISE(ABORT, 'the choice log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS answers_no_update BEFORE UPDATE ON answers
BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
CREATE TRIGGER IF NOT EXISTS answers_no_delete BEFORE DELETE ON answers
BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
CREATE TRIGGER IF NOT EXISTS errors_no_update BEFORE UPDATE ON errors
BEGIN SELECT RAISE(ABORT, 'errors are append-only'); END;
CREATE TRIGGER IF NOT EXISTS errors_no_delete BEFORE DELETE ON errors
BEGIN SELECT RAISE(ABORT, 'errors are append-only'); END;
"""


class StoreSchemaError(StoreError):
    """The database is not a gapeval store, or has another schema version."""


def _check_version(path: Path, version: object, *, readable: tuple[int, ...] = (SCHEMA_VERSION,)) -> None:
    if int(str(version)) not in readable:
        raise StoreSchemaError(
            f"store {str(path)!r} has schema version {version}, this gapeval reads "
            f"version {SCHEMA_VERSION} (version 2 added the protocol and step of each answer, "
            "version 3 the respondents' fingerprints); "
            "read it with the gapeval version that wrote it, or run again into a new folder"
            + (" (a version-2 store is upgraded when opened for writing)" if str(version) == "2" else "")
        )


def _failed(path: Path, error: sqlite3.DatabaseError, doing: str) -> StoreError:
    if getattr(error, "sqlite_errorname", "") == "SQLITE_NOTADB":
        return StoreSchemaError(
            f"{str(path)!r} is not a gapeval store database: {error}. If it held a run, the file is "
            "damaged: restore it from a backup, or run again into a new folder; nothing was changed"
        )
    named = classify(error, path.parent, doing)
    return named or StoreSchemaError(f"{str(path)!r} is not a gapeval store database: {error}")


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open the store database at ``path`` for reading only; nothing in its folder is written.

    A WAL database normally needs its ``-shm`` file; in a read-only folder where that file cannot be
    made, the database is opened as immutable — safe when no write-ahead log is left over (a clean
    close folds it in), refused with :class:`StoreReadOnlyError` when one is. A version-2 store is
    read as it is (it records no respondents).
    """

    def opened(flags: str) -> sqlite3.Connection:
        uri = f"{path.resolve().as_uri()}?{flags}"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30.0)

    def version(connection: sqlite3.Connection) -> object:
        return connection.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]

    connection = opened("mode=ro")
    try:
        try:
            found = version(connection)
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorname", "") != "SQLITE_CANTOPEN":
                raise
            connection.close()
            wal = path.with_name(path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise StoreReadOnlyError(
                    f"the store {str(path.parent)!r} is in a read-only folder and holds answers in its "
                    f"write-ahead log ({wal.name}) that only a writer can fold in (was a writer killed?); "
                    "copy the folder somewhere writable and read the copy"
                ) from error
            connection = opened("mode=ro&immutable=1")
            found = version(connection)
        _check_version(path, found, readable=(2, SCHEMA_VERSION))  # version 2 lacks only the respondents
    except sqlite3.DatabaseError as error:
        connection.close()
        raise _failed(path, error, "opening its database to read") from error
    except BaseException:
        connection.close()
        raise
    return connection


def connect(path: Path, *, synchronous: Literal["normal", "full"] = "normal") -> sqlite3.Connection:
    """Open (creating if needed) the store database at ``path`` in WAL mode.

    The connection is in autocommit mode (``isolation_level=None``); writers open explicit
    ``BEGIN IMMEDIATE`` transactions. ``synchronous='normal'`` survives a killed process (every
    committed answer is in the WAL); ``'full'`` also survives a power cut, at one fsync per commit.
    Storage failures raise the named errors of :mod:`gapeval.store.failures`.
    """
    try:
        connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
    except sqlite3.DatabaseError as error:
        raise _failed(path, error, "opening its database") from error
    try:
        mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreSchemaError(f"cannot put {str(path)!r} in WAL mode (got {mode!r})")
        connection.execute(f"PRAGMA synchronous={synchronous.upper()}")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.executescript(
            f"BEGIN IMMEDIATE; {_DDL} INSERT OR IGNORE INTO meta (name, value) "
            f"VALUES ('schema_version', '{SCHEMA_VERSION}'); COMMIT;"
        )
        row = connection.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        if int(row[0]) == 2:
            _upgrade_from_2(connection)
            row = (SCHEMA_VERSION,)
        _check_version(path, row[0])
    except sqlite3.DatabaseError as error:
        connection.close()
        raise _failed(path, error, "opening its database") from error
    except BaseException:
        connection.close()
        raise
    return connection


def _upgrade_from_2(connection: sqlite3.Connection) -> None:
    """Add what version 3 added (the respondents table, made by the DDL, and ``answers.respondent``)."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(answers)")}
    connection.execute("BEGIN IMMEDIATE")
    if "respondent" not in columns:
        connection.execute("ALTER TABLE answers ADD COLUMN respondent TEXT")
    connection.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(SCHEMA_VERSION),))
    connection.execute("COMMIT")
