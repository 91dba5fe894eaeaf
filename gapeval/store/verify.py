"""Check a store without trusting it: problems are returned as sentences, never raised.

:func:`verify` runs SQLite's ``integrity_check``, reads every answer's and error's stored request
and result back (as bytes, so a row holding bytes that are not text is reported instead of failing
the whole check) and re-hashes every image file the answers name.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from gapeval.errors import GapevalError

if TYPE_CHECKING:
    from gapeval.store.store import Store

__all__ = ["verify"]


def _text(value: object) -> str | None:
    """``value`` decoded as UTF-8 text (``None`` when it is not text)."""
    if value is None or isinstance(value, str):
        return value
    try:
        return bytes(value).decode("utf-8")  # type: ignore[arg-type]
    except (UnicodeDecodeError, TypeError):
        return None


def _rows(connection: sqlite3.Connection, sql: str) -> tuple[list[tuple], str | None]:
    try:
        return connection.execute(sql).fetchall(), None
    except sqlite3.DatabaseError as error:
        return [], str(error)


def verify(store: Store) -> list[str]:
    """Problems found in ``store`` (an empty list: none). See :meth:`gapeval.store.Store.verify`."""
    problems: list[str] = []
    with store._lock:
        connection = store._connection
        checks, failed = _rows(connection, "PRAGMA integrity_check")
        if failed:
            return [f"SQLite's integrity check could not run: {failed}"]
        problems += [f"SQLite integrity check: {row[0]}" for row in checks if row[0] != "ok"]
        for table in ("answers", "errors"):
            rows, failed = _rows(
                connection,
                f"SELECT id, CAST(request_json AS BLOB), CAST(result_json AS BLOB) FROM {table} ORDER BY id",
            )
            if failed:
                problems.append(f"the {table} table cannot be read: {failed}")
            for row_id, *documents in rows:
                for name, document in zip(("request", "result"), documents, strict=True):
                    text = _text(document)
                    try:
                        json.loads(text) if text is not None else None
                    except ValueError:
                        text = None
                    if text is None:
                        problems.append(f"{table} row {row_id}: its stored {name} is damaged (not JSON text)")
        images, failed = _rows(
            connection,
            "SELECT id, CAST(image_file AS BLOB), CAST(image_sha256 AS BLOB) FROM answers "
            "WHERE image_file IS NOT NULL ORDER BY id",
        )
    if failed:
        problems.append(f"the answers' image files cannot be listed: {failed}")
    checked: set[tuple[str, str]] = set()
    for row_id, raw_file, raw_sha in images:
        image_file, sha256 = _text(raw_file), _text(raw_sha)
        if image_file is None or sha256 is None:
            problems.append(f"answers row {row_id}: its image file name or hash is damaged (not text)")
            continue
        if (image_file, sha256) in checked:
            continue
        checked.add((image_file, sha256))
        try:
            store.images.read(image_file, sha256=sha256)
        except (GapevalError, OSError) as error:
            problems.append(str(error))
    return problems
