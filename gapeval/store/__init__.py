"""The durable store of a run: answers, images, scores and the manifest.

A store is a folder with one SQLite database (WAL mode, append-only answers with a unique key),
a content-addressed image folder and an atomically written ``manifest.json``. See
:mod:`gapeval.store.store` for the guarantees and ``docs/store.md`` for the layout.

Examples
--------
>>> import tempfile
>>> from gapeval.store import Store
>>> with Store(tempfile.mkdtemp()) as store:
...     len(store), store.verify()
(0, [])
"""

from __future__ import annotations

from gapeval.store.frame import COLUMNS, STEP_COLUMNS, steps_frame, to_frame
from gapeval.store.images import ImageFolder, ImageIntegrityError
from gapeval.store.manifest import (
    build_manifest,
    git_version,
    package_versions,
    write_json_atomic,
)
from gapeval.store.merge import MergeConflictError, merge
from gapeval.store.redact import redact, scrub
from gapeval.store.schema import SCHEMA_VERSION, StoreSchemaError
from gapeval.store.scores import ScoreConflictError
from gapeval.store.store import (
    AnswerConflictError,
    AnswerKey,
    Store,
    StoredAnswer,
    answer_digest,
)

__all__ = [
    "COLUMNS",
    "SCHEMA_VERSION",
    "AnswerConflictError",
    "AnswerKey",
    "ImageFolder",
    "ImageIntegrityError",
    "MergeConflictError",
    "ScoreConflictError",
    "Store",
    "StoreSchemaError",
    "StoredAnswer",
    "answer_digest",
    "build_manifest",
    "git_version",
    "merge",
    "package_versions",
    "redact",
    "scrub",
    "steps_frame",
    "to_frame",
    "STEP_COLUMNS",
    "write_json_atomic",
]
