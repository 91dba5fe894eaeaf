"""The run manifest: what produced a store (config, bank hash, fingerprints, seeds, versions).

:func:`build_manifest` assembles the manifest as a JSON-serialisable dict with credentials removed
(:func:`~gapeval.store.redact.redact`); :func:`write_json_atomic` writes it so that a reader never
sees a half-written file (temporary file, fsync, rename).

Examples
--------
>>> manifest = build_manifest(config={"models": ["mock"], "api_key": "sk-x"}, bank_hash="abc",
...                           fingerprints={"mock": {"adapter": "scripted"}}, run_seed=0, git=False)
>>> manifest["config"], manifest["seeds"]["run_seed"], "api_key" in str(manifest)
({'models': ['mock']}, 0, False)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from gapeval.store.atomic import write_bytes_atomic
from gapeval.store.redact import redact
from gapeval.store.respondents import fingerprint_digest

__all__ = [
    "MANIFEST_VERSION",
    "build_manifest",
    "git_version",
    "package_versions",
    "write_json_atomic",
]

MANIFEST_VERSION = 1

#: Distributions whose versions every manifest records (absent ones are recorded as ``None``).
RECORDED_PACKAGES = (
    "gapeval",
    "numpy",
    "pandas",
    "pydantic",
    "pillow",
    "torch",
    "transformers",
    "tokenizers",
    "diffusers",
    "httpx",
)


def package_versions(names: tuple[str, ...] = RECORDED_PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` plus Python's, read from metadata (nothing is imported)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_version(directory: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    """Commit and dirty flag of the git checkout holding ``directory`` (default: gapeval's source).

    Returns ``None`` when git is missing, the folder is not a checkout, or it has no commit yet.
    """
    folder = Path(directory) if directory is not None else Path(__file__).resolve().parents[2]

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(folder), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status)}


def build_manifest(
    *,
    config: Mapping[str, Any],
    bank_hash: str | None,
    fingerprints: Mapping[str, Mapping[str, Any]],
    run_seed: int,
    shard: tuple[int, int] | None = None,
    git: bool = True,
    respondents: Mapping[str, Mapping[str, Any]] | None = None,
    changed_config: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Assemble a run manifest, with credentials stripped.

    Parameters
    ----------
    config : mapping
        The run configuration (flags or TOML), JSON-serialisable.
    bank_hash : str or None
        Hash of the item bank.
    fingerprints : mapping
        Model spec name -> the adapter's ``fingerprint()``.
    run_seed : int
        The run seed; per-request seeds follow from it (``gapeval.records.derive_seed``).
    shard : (k, n), optional
        This store's shard (1-based ``k`` of ``n``).
    git : bool
        Record the git commit of gapeval's source checkout (``False`` skips the ``git`` call).
    respondents : mapping, optional
        Model spec name -> its full fingerprint (:func:`gapeval.store.respondents.respondent_fingerprint`).
    changed_config : sequence of mappings
        The configuration changes this session was allowed to make (``model``, ``before``,
        ``after``, ``differences``).

    Returns
    -------
    dict
        Keys ``manifest_version``, ``created_at``, ``config``, ``bank_hash``, ``fingerprints``,
        ``respondents``, ``changed_config``, ``seeds``, ``shard``, ``versions``, ``git``.
    """
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": dict(config),
        "bank_hash": bank_hash,
        "fingerprints": {name: dict(value) for name, value in fingerprints.items()},
        "respondents": {
            name: {"digest": fingerprint_digest(value), "fingerprint": dict(value)}
            for name, value in (respondents or {}).items()
        },
        "changed_config": [dict(change) for change in changed_config],
        "seeds": {"run_seed": int(run_seed), "derivation": "gapeval-seed-v1 (sha256, 63 bits)"},
        "shard": None if shard is None else {"index": shard[0], "count": shard[1]},
        "versions": package_versions(),
        "git": git_version() if git else None,
    }
    cleaned = redact(manifest)
    json.dumps(cleaned)  # fail here, not at write time, if something is not serialisable
    return cleaned


def write_json_atomic(path: str | os.PathLike[str], value: Any) -> None:
    """Write ``value`` as indented JSON to ``path`` via a temporary file, fsync and rename."""
    target = Path(path)
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_bytes_atomic(target, text.encode("utf-8"), fsync=True, suffix=".json")
