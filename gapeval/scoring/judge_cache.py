"""A persistent cache of judge replies: one small SQLite file in the run folder.

The judge protocols (:mod:`gapeval.scoring.judge`) accept any mutable mapping as their cache, keyed
by :func:`gapeval.scoring.judge.cache_key` — the SHA-256 of (judge fingerprint, template hash, image
hashes, rendered question) — and store only replies that parse. :class:`JudgeCache` is that
mapping on disk, so a second scoring run over the same answers asks the judge nothing::

    RUN_DIR/judge_cache.sqlite   table judge_replies(key TEXT PRIMARY KEY, reply TEXT, created_at TEXT)

Every write is committed at once (a killed scoring run keeps the replies it paid for). The file is
separate from the answer store (``answers.sqlite``): deleting it only costs judge calls.

Examples
--------
>>> import tempfile
>>> with JudgeCache.in_run(tempfile.mkdtemp()) as cache:
...     cache["k"] = "VERDICT: 1"
...     ("k" in cache, cache["k"], len(cache), cache.hits, cache.lookups)
(True, 'VERDICT: 1', 1, 1, 1)
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Iterator, MutableMapping
from pathlib import Path

from gapeval.store.redact import Redactor, default_redactor

__all__ = ["CACHE_NAME", "JudgeCache"]

#: File name of the cache inside a run folder.
CACHE_NAME = "judge_cache.sqlite"

_DDL = """
CREATE TABLE IF NOT EXISTS judge_replies (
    key TEXT PRIMARY KEY,
    reply TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


class JudgeCache(MutableMapping[str, str]):
    """Judge replies by cache key, persisted in the SQLite file ``path`` (created when missing).

    ``lookups`` counts membership tests (``key in cache``, which the judge protocols make once
    per question) and ``hits`` those that found a reply.
    """

    def __init__(self, path: str | os.PathLike[str], *, redactor: Redactor | None = None) -> None:
        self.path = Path(path)
        self.redactor = redactor or default_redactor()
        """The redaction pass applied to every reply written (credentials never land on disk)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute(_DDL)
        self._lock = threading.Lock()
        self.lookups = 0
        """Membership tests so far."""
        self.hits = 0
        """Membership tests that found a reply."""

    @classmethod
    def in_run(cls, run_dir: str | os.PathLike[str], *, redactor: Redactor | None = None) -> JudgeCache:
        """The cache of the run folder ``run_dir`` (``RUN_DIR/judge_cache.sqlite``)."""
        return cls(Path(run_dir) / CACHE_NAME, redactor=redactor)

    def _one(self, key: str) -> str | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT reply FROM judge_replies WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def __contains__(self, key: object) -> bool:
        found = isinstance(key, str) and self._one(key) is not None
        self.lookups += 1
        self.hits += int(found)
        return found

    def __getitem__(self, key: str) -> str:
        reply = self._one(key)
        if reply is None:
            raise KeyError(key)
        return reply

    def __setitem__(self, key: str, reply: str) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            self._connection.execute(
                "INSERT OR REPLACE INTO judge_replies (key, reply, created_at) VALUES (?, ?, ?)",
                (key, self.redactor.text(reply), now),
            )

    def __delitem__(self, key: str) -> None:
        with self._lock:
            cursor = self._connection.execute("DELETE FROM judge_replies WHERE key = ?", (key,))
        if cursor.rowcount == 0:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            rows = self._connection.execute("SELECT key FROM judge_replies ORDER BY key").fetchall()
        return iter([str(row[0]) for row in rows])

    def __len__(self) -> int:
        with self._lock:
            return int(self._connection.execute("SELECT COUNT(*) FROM judge_replies").fetchone()[0])

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> JudgeCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"JudgeCache({str(self.path)!r})"
