"""A respondent is its configuration: each model's fingerprint, recorded and checked on resume.

A respondent's **fingerprint** is what decides its answers: the adapter, the options of its model
spec and the adapter's own ``fingerprint()`` (weights path and config digest or the server's model
id, dtype, library versions...), with credentials removed. Its **digest** is the sha256 of the
fingerprint without the operational settings (:data:`OPERATIONAL`: batch size, concurrency,
time-outs, device, the name of the variable holding an API key), which change how fast a model
answers, not what it answers.

The store keeps every fingerprint a model name was run under (table ``respondents``) and stamps
each answer with its respondent's digest (column ``answers.respondent``). Registering a model name
under a digest other than its latest one raises :class:`RespondentChangedError`, naming what
changed, unless the change is allowed; an allowed change is recorded (``changed_from``), so the
answers of both configurations stay told apart and the export refuses to mix them
(:class:`RespondentMixError`) unless told which to keep.

Examples
--------
>>> before = respondent_fingerprint("simulated", {"theta_understanding": -3, "max_batch": 8}, {})
>>> after = respondent_fingerprint("simulated", {"theta_understanding": 3, "max_batch": 64}, {})
>>> differences(before, after)
['options.theta_understanding: was -3, now 3']
>>> fingerprint_digest(before) == fingerprint_digest({**before, "options": {"theta_understanding": -3}})
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from gapeval.errors import GapevalError
from gapeval.store.redact import redact

__all__ = [
    "OPERATIONAL",
    "RespondentChangedError",
    "RespondentMixError",
    "differences",
    "fingerprint_digest",
    "respondent_fingerprint",
]

#: Settings that change how a model is run, not what it answers; left out of the digest.
OPERATIONAL = frozenset(
    {"max_batch", "concurrency", "timeout_s", "device", "delay_s", "api_key_env", "transport"}
)


class RespondentChangedError(GapevalError):
    """A resumed run would answer under a model name with a different configuration."""


class RespondentMixError(GapevalError):
    """The answers of one model name come from several configurations and none was chosen."""


def respondent_fingerprint(
    adapter: str, options: Mapping[str, Any], identity: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The fingerprint of a respondent: adapter name, spec options, the adapter's ``fingerprint()``.

    Without ``identity`` (before the model is loaded) only the first two parts, which
    :meth:`Store.check_respondent <gapeval.store.Store.check_respondent>` compares. Credentials are
    removed (:func:`~gapeval.store.redact.redact`); values that are not JSON are written with ``repr``.
    """
    fingerprint: dict[str, Any] = {"adapter": adapter, "options": dict(options)}
    if identity is not None:
        fingerprint["identity"] = dict(identity)
    return json.loads(json.dumps(redact(fingerprint), sort_keys=True, default=repr))


def _essential(fingerprint: Mapping[str, Any]) -> dict[str, Any]:
    """``fingerprint`` without the :data:`OPERATIONAL` settings (in ``options`` and ``identity``)."""
    kept = dict(fingerprint)
    for part in ("options", "identity"):
        if isinstance(kept.get(part), Mapping):
            kept[part] = {k: v for k, v in kept[part].items() if k not in OPERATIONAL}
    return kept


def fingerprint_digest(fingerprint: Mapping[str, Any]) -> str:
    """sha256 (hex) of the fingerprint's canonical JSON, operational settings left out."""
    text = json.dumps(_essential(fingerprint), sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping) and value:
        flat: dict[str, Any] = {}
        for key in sorted(value):
            flat.update(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What changed between two fingerprints, one ``path: was X, now Y`` per setting (operational
    settings left out)."""
    old, new = _flatten(_essential(before)), _flatten(_essential(after))

    def shown(values: dict[str, Any], path: str) -> str:
        return repr(values[path]) if path in values else "absent"

    def filled(path: str) -> bool:  # an empty table on one side, settings under it on the other
        return any(p.startswith(f"{path}.") for p in (*old, *new)) and {} in (old.get(path), new.get(path))

    return [
        f"{path}: was {shown(old, path)}, now {shown(new, path)}"
        for path in sorted(set(old) | set(new))
        if (path in old, old.get(path)) != (path in new, new.get(path)) and not filled(path)
    ]


# -- the respondents table ------------------------------------------------------------------------


def latest(connection: sqlite3.Connection, model: str) -> tuple[str, dict[str, Any]] | None:
    """``(digest, fingerprint)`` of the latest registration of ``model``, or ``None``."""
    row = connection.execute(
        "SELECT digest, fingerprint_json FROM respondents WHERE model = ? ORDER BY id DESC LIMIT 1", (model,)
    ).fetchone()
    return None if row is None else (row[0], json.loads(row[1]))


def refuse_change(model: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> RespondentChangedError:
    """The error for a model name resumed with another configuration, showing the difference."""
    changed = "; ".join(differences(before, after)) or "the fingerprint"
    return RespondentChangedError(
        f"model {model!r} was answered with another configuration in this run folder ({changed}); "
        f"its answers would mix two models. Either give the new configuration a new model name "
        f"(name=... in the model spec), or pass --allow-changed-config (allow_changed_config=True) "
        "to go on under the same name: the change is recorded and exports then ask which to use"
    )


def check(connection: sqlite3.Connection, model: str, partial: Mapping[str, Any]) -> None:
    """Raise :class:`RespondentChangedError` if the parts of a fingerprint in ``partial`` (e.g. only
    ``adapter`` and ``options``, known before a model is loaded) differ from ``model``'s latest."""
    earlier = latest(connection, model)
    if earlier is None:
        return
    before = {part: earlier[1].get(part) for part in partial}
    if fingerprint_digest(before) != fingerprint_digest(partial):
        raise refuse_change(model, before, partial)


def register(
    connection: sqlite3.Connection, model: str, fingerprint: Mapping[str, Any], *, allow_change: bool
) -> tuple[str, dict[str, Any] | None]:
    """Record ``fingerprint`` for ``model`` inside the caller's transaction.

    Returns the digest and, when the model had another latest fingerprint (an allowed change), that
    earlier fingerprint; raises :class:`RespondentChangedError` when the change is not allowed.
    """
    digest = fingerprint_digest(fingerprint)
    earlier = latest(connection, model)
    if earlier is not None and earlier[0] == digest:
        return digest, None
    if earlier is not None and not allow_change:
        raise refuse_change(model, earlier[1], fingerprint)
    connection.execute(
        "INSERT INTO respondents (model, digest, fingerprint_json, changed_from, created_at) VALUES (?, ?, ?, ?, ?)",
        (model, digest, json.dumps(dict(fingerprint), sort_keys=True),
         None if earlier is None else earlier[0], dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")),
    )  # fmt: skip
    return digest, None if earlier is None else earlier[1]


def choose(
    counts: Mapping[str, Mapping[str | None, int]], chosen: Mapping[str, str] | None, *, where: str
) -> dict[str, str]:
    """For each model answered under several fingerprints, the digest to keep.

    ``counts`` maps model -> digest (``None``: not recorded) -> answers; ``chosen`` maps a model to
    a digest or a unique prefix of one. Raises :class:`RespondentMixError` for a model with several
    recorded digests and no choice, or a choice that matches none or several of its digests.
    """
    chosen = dict(chosen or {})
    unknown = sorted(set(chosen) - set(counts))
    if unknown:
        raise RespondentMixError(
            f"fingerprints were chosen for {', '.join(map(repr, unknown))}, which {where} does not hold; "
            f"models there: {', '.join(map(repr, sorted(counts))) or 'none'}"
        )
    keep: dict[str, str] = {}
    for model, digests in sorted(counts.items()):
        recorded = sorted(d for d in digests if d is not None)
        listing = ", ".join(f"{d[:12]} ({digests[d]} answers)" for d in recorded)
        if model in chosen:
            matches = [d for d in recorded if d.startswith(chosen[model])]
            if len(matches) != 1:
                raise RespondentMixError(
                    f"fingerprint {chosen[model]!r} of model {model!r} matches {len(matches)} of its "
                    f"fingerprints in {where} ({listing or 'none recorded'}); give one of them"
                )
            keep[model] = matches[0]
        elif len(recorded) > 1:
            raise RespondentMixError(
                f"model {model!r} was answered under {len(recorded)} configurations in {where} ({listing}; "
                "see the store's respondents); its answers cannot be pooled: choose one with "
                f"--fingerprint {model}=DIGEST (fingerprints={{{model!r}: DIGEST}})"
            )
    return keep
