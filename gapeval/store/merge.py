"""Merge the stores of a sharded run into one store.

Answers are copied with their images; an answer present in several shards is kept once when the
copies are identical (same :func:`~gapeval.store.store.answer_digest`) and raises
:class:`MergeConflictError` when they differ. Scores follow their answers (a different score by the
same scorer is a conflict too); error logs are concatenated; the choice logs of adaptive runs are
kept, once per model and step (two different choices for one step are a conflict); every shard's
manifests are kept, and the merged store's ``manifest.json`` lists the shards. Shards whose manifests name different bank
hashes cannot be merged.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> shards = [Store(root / "shard-1"), Store(root / "shard-2")]
>>> merged = merge(shards, root / "merged")
>>> len(merged), merged.manifests()[-1]["merged_from"] == [str(s.path) for s in shards]
(0, True)
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gapeval.errors import GapevalError
from gapeval.store.keys import KEY_COLUMNS, KEY_WHERE
from gapeval.store.scores import describe_key
from gapeval.store.store import AnswerConflictError, Store

__all__ = ["MergeConflictError", "merge"]


class MergeConflictError(AnswerConflictError):
    """Two shards hold different answers (or scores, or banks) for the same key."""


def _rows(store: Store, table: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Column names and a lazy iterator over the rows of ``table`` (read in chunks)."""
    cursor = store._connection.execute(f"SELECT * FROM {table} ORDER BY rowid")
    names = [column[0] for column in cursor.description]

    def chunks() -> Iterator[tuple[Any, ...]]:
        while rows := cursor.fetchmany(500):
            yield from rows

    return names, chunks()


def _copy_answers(
    source: Store, out: Store, connection: sqlite3.Connection, origin: dict[tuple[Any, ...], str]
) -> dict[int, int]:
    names, rows = _rows(source, "answers")
    columns = [name for name in names if name != "id"]
    insert = (
        f"INSERT INTO answers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO NOTHING"
    )
    id_map: dict[int, int] = {}
    for row in rows:
        record = dict(zip(names, row, strict=True))
        if record["image_file"] is not None:
            data = source.images.read(record["image_file"], sha256=record["image_sha256"])
            record["image_file"] = out.images.put(data, sha256=record["image_sha256"])
        key = tuple(record[column] for column in KEY_COLUMNS)
        connection.execute(insert, [record[name] for name in columns])
        out_id, digest = connection.execute(
            f"SELECT id, digest FROM answers WHERE {KEY_WHERE}", key
        ).fetchone()
        if digest != record["digest"]:
            raise MergeConflictError(
                f"{source!r} and {origin[key]} hold different answers for {describe_key(key)}; "
                "shards must not overlap, or must agree where they do"
            )
        origin.setdefault(key, repr(source))
        id_map[record["id"]] = out_id
    return id_map


_SCORE_FIELDS = ("scorer", "score", "details_json", "created_at")


def _copy_scores(source: Store, connection: sqlite3.Connection, id_map: dict[int, int]) -> None:
    names, rows = _rows(source, "scores")
    for row in rows:
        record = dict(zip(names, row, strict=True))
        answer_id = id_map[record["answer_id"]]
        existing = connection.execute(
            "SELECT score, details_json FROM scores WHERE answer_id = ? AND scorer = ?",
            (answer_id, record["scorer"]),
        ).fetchone()
        if existing is None:
            connection.execute(
                "INSERT INTO scores (answer_id, scorer, score, details_json, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (answer_id, *(record[n] for n in _SCORE_FIELDS)),
            )
        elif existing != (record["score"], record["details_json"]):
            raise MergeConflictError(
                f"{source!r} scores answer {answer_id} of the merged store as {record['score']} "
                f"with scorer {record['scorer']!r}, another shard as {existing[0]}"
            )


def _copy_log(source: Store, connection: sqlite3.Connection, table: str) -> None:
    names, rows = _rows(source, table)
    columns = [name for name in names if name != "id"]
    marks = ", ".join("?" * len(columns))
    match = " AND ".join(f"{name} IS ?" for name in columns)
    for row in rows:
        values = [value for name, value in zip(names, row, strict=True) if name != "id"]
        if connection.execute(f"SELECT 1 FROM {table} WHERE {match}", values).fetchone() is None:
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            connection.execute(insert, values)


def _copy_respondents(source: Store, connection: sqlite3.Connection) -> None:
    """Every configuration the shard recorded, once per (model, digest, digest it replaced)."""
    if source.schema_version < 3:  # a version-2 shard recorded none
        return
    names, rows = _rows(source, "respondents")
    for row in rows:
        record = dict(zip(names, row, strict=True))
        same = (record["model"], record["digest"], record["changed_from"])
        found = connection.execute(
            "SELECT 1 FROM respondents WHERE model = ? AND digest = ? AND changed_from IS ?", same
        ).fetchone()
        if found is None:
            connection.execute(
                "INSERT INTO respondents (model, digest, fingerprint_json, changed_from, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (*same[:2], record["fingerprint_json"], same[2], record["created_at"]),
            )


def _copy_choices(source: Store, connection: sqlite3.Connection) -> None:
    """The adaptive choice log, once per (model, step); another choice for a logged step is a conflict."""
    if not source.choices():  # none logged, or a store written before adaptive testing (no table)
        return
    names, rows = _rows(source, "choices")
    for row in rows:
        record = dict(zip(names, row, strict=True))
        found = connection.execute(
            "SELECT choice_json FROM choices WHERE model = ? AND step = ?", (record["model"], record["step"])
        ).fetchone()
        if found is None:
            connection.execute(
                "INSERT INTO choices (model, step, choice_json, created_at) VALUES (?, ?, ?, ?)",
                (record["model"], record["step"], record["choice_json"], record["created_at"]),
            )
        elif found[0] != record["choice_json"]:
            raise MergeConflictError(
                f"{source!r} logs another choice for step {record['step']} of model {record['model']!r} than "
                "a store merged before it; merge the stores of one adaptive run (or its unchanged copies)"
            )


def _check_banks(stores: Sequence[Store]) -> None:
    hashes = {}
    for store in stores:
        manifests = store.manifests()
        if manifests and manifests[-1].get("bank_hash"):
            hashes[repr(store)] = manifests[-1]["bank_hash"]
    if len(set(hashes.values())) > 1:
        listing = ", ".join(f"{name}: {value}" for name, value in hashes.items())
        raise MergeConflictError(
            f"shards were run on different banks ({listing}); merge shards of one run"
        )


def merge(stores: Sequence[Store | str | os.PathLike[str]], out: str | os.PathLike[str]) -> Store:
    """Merge shard stores into a new store at ``out`` and return it (open).

    Parameters
    ----------
    stores : sequence of Store or paths
        The shards; paths are opened (they must exist).
    out : path
        Folder of the merged store; it must not hold answers yet.

    Raises
    ------
    MergeConflictError
        If two shards hold different answers or scores for one key, different choices for one
        step of an adaptive run, or name different banks.
    GapevalError
        If ``out`` already holds answers, or no store is given.
    """
    if not stores:
        raise GapevalError("merge needs at least one store")
    opened = [s if isinstance(s, Store) else Store(s, readonly=True) for s in stores]
    try:
        return _merge_into(opened, Path(out))
    finally:
        for given, store in zip(stores, opened, strict=True):
            if store is not given:
                store.close()


def _merge_into(opened: Sequence[Store], out: Path) -> Store:
    _check_banks(opened)
    target = Store(out)
    if len(target) or target.errors():
        target.close()
        raise GapevalError(f"{str(out)!r} already holds answers; merge into a new folder")
    origin: dict[tuple[Any, ...], str] = {}
    connection = target._connection
    for source in opened:
        with target._lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                id_map = _copy_answers(source, target, connection, origin)
                _copy_scores(source, connection, id_map)
                _copy_log(source, connection, "errors")
                _copy_log(source, connection, "manifests")
                _copy_respondents(source, connection)
                _copy_choices(source, connection)
            except BaseException:
                connection.execute("ROLLBACK")
                target.close()
                raise
            connection.execute("COMMIT")
    latest = [source.manifests()[-1] if source.manifests() else None for source in opened]
    target.write_manifest(
        {
            "merged_from": [str(source.path) for source in opened],
            "bank_hash": next((m.get("bank_hash") for m in latest if m), None),
            "shards": latest,
        }
    )
    return target
