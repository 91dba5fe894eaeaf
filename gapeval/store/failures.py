"""Stores that fail loudly and clearly: a damaged database, a full disk, a read-only folder.

SQLite and the file system report these as ``sqlite3.DatabaseError`` and ``OSError`` with codes;
:func:`translated` turns them into one of the named errors below, each saying what happened to what
and what to do. All are :class:`StoreError` (a :class:`~gapeval.errors.GapevalError`), which the
command line reports on one line with exit status 4 (:data:`STORE_EXIT`). What was committed before
the failure is never touched: every answer is its own transaction.

Examples
--------
>>> import errno
>>> with translated("runs/x", "writing an image"):
...     raise OSError(errno.ENOSPC, "No space left on device")
Traceback (most recent call last):
    ...
gapeval.store.failures.StoreFullError: no space left on the device holding the store 'runs/x' while \
writing an image ([Errno 28] No space left on device); what was committed before is intact: free some \
space and re-run the same command to go on
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from gapeval.errors import GapevalError

__all__ = [
    "STORE_EXIT",
    "StoreCorruptError",
    "StoreError",
    "StoreFullError",
    "StoreReadOnlyError",
    "classify",
    "translated",
]

#: Exit status of the command line when a store cannot be used.
STORE_EXIT = 4

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


class StoreError(GapevalError):
    """A store cannot be used: damaged, out of space, read-only, or unreadable for another reason."""

    exit_code = STORE_EXIT


class StoreCorruptError(StoreError):
    """The store's database (or one of its rows) is damaged, or it was emptied or lost."""


class StoreFullError(StoreError):
    """No space is left on the device holding the store."""


class StoreReadOnlyError(StoreError):
    """The store's folder or database cannot be written (a writer was given a read-only folder)."""


def _full(where: str, doing: str, error: BaseException) -> StoreFullError:
    return StoreFullError(
        f"no space left on the device holding the store {where} while {doing} ({error}); what was "
        "committed before is intact: free some space and re-run the same command to go on"
    )


def _read_only(where: str, doing: str, error: BaseException) -> StoreReadOnlyError:
    return StoreReadOnlyError(
        f"the store {where} is read-only, so {doing} cannot write to it ({error}); make the folder "
        "writable (chmod -R u+w) or write to another folder — export, fit and report can read it as it is"
    )


def corrupt(where: str, detail: str) -> StoreCorruptError:
    """The error for a damaged store database, with what to do."""
    return StoreCorruptError(
        f"the store {where} is damaged: {detail}. Nothing was changed. Restore answers.sqlite from a "
        "backup, or save what SQLite can still read (sqlite3 answers.sqlite .recover | sqlite3 "
        "recovered.sqlite) and run again into a new folder; `gapeval verify RUN_DIR` lists the problems"
    )


def classify(error: BaseException, folder: str | os.PathLike[str], doing: str) -> StoreError | None:
    """The named error for ``error`` (raised while ``doing`` something to the store in ``folder``),
    or ``None`` when it is not a storage failure (a programming error, a constraint)."""
    where = repr(str(folder))
    if isinstance(error, OSError):
        if error.errno in _FULL:
            return _full(where, doing, error)
        if error.errno in _READ_ONLY:
            return _read_only(where, doing, error)
        return None
    if not isinstance(error, sqlite3.DatabaseError) or isinstance(error, sqlite3.IntegrityError):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name == "SQLITE_FULL" or "disk is full" in text:
        return _full(where, doing, error)
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return _read_only(where, doing, error)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return corrupt(where, f"{text} (while {doing})")
    if "Could not decode" in text:
        return corrupt(where, f"a row holds bytes that are not text ({text}; while {doing})")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"the disk holding the store {where} failed while {doing} ({text}); check the disk, then re-run")
    if name == "SQLITE_CANTOPEN":
        if os.path.isdir(folder) and not os.access(folder, os.W_OK):
            return _read_only(where, doing, error)
        return StoreError(f"the store {where} cannot be opened while {doing} ({text})")
    return None


@contextmanager
def translated(folder: str | os.PathLike[str], doing: str) -> Iterator[None]:
    """Turn storage failures raised inside the block into :class:`StoreError` subclasses.

    ``folder`` is the store's folder, ``doing`` what was being done (for the message).
    """
    try:
        yield
    except (OSError, sqlite3.DatabaseError) as error:
        named = classify(error, folder, doing)
        if named is None:
            raise
        raise named from error
