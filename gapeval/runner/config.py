"""The configuration of a run: what to ask, whom, how often, and how to behave.

A :class:`RunConfig` comes from command-line flags or from a TOML file (:func:`load_config`); the
flags override the file. It is recorded in the run's manifest, and a resumed run must use the same
bank, seed, samples, history mode and decoding, and give each protocol label the same options
(:func:`check_resume`), because those decide what each answer key means.

Examples
--------
>>> config = RunConfig(models=(ModelSpec(name="p", adapter="procedural"),))
>>> config.bank, config.seed, config.samples, config.history
('builtin', 0, 1, 'bank')
>>> build_config({"models": []})
Traceback (most recent call last):
    ...
gapeval.runner.config.ConfigError: run config: models: a run needs at least one model; add \
--model SPEC (e.g. --model procedural)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from gapeval.errors import GapevalError
from gapeval.files import read_text
from gapeval.model_spec import ModelSpec, spec_from_mapping
from gapeval.protocols.spec import ProtocolSpec, protocol_from_mapping
from gapeval.records import Decoding
from gapeval.records._base import Record

__all__ = [
    "AdaptiveSettings",
    "ConfigError",
    "RunConfig",
    "Shard",
    "build_config",
    "check_resume",
    "load_config",
    "parse_shard",
]


class ConfigError(GapevalError):
    """A run configuration (flags or TOML) is malformed."""


class Shard(Record):
    """Shard ``index`` (1-based) of ``count``: the units whose id hashes to it."""

    index: int = Field(ge=1)
    """Which shard, 1..count."""
    count: int = Field(ge=1)
    """How many shards."""

    @model_validator(mode="after")
    def _check(self) -> Shard:
        if self.index > self.count:
            raise ValueError(f"shard {self.index}/{self.count}: the index must be 1..{self.count}")
        return self


def parse_shard(text: str) -> Shard:
    """Read ``k/n`` (e.g. ``2/4``).

    Examples
    --------
    >>> parse_shard("2/4")
    Shard(index=2, count=4)
    """
    left, slash, right = text.partition("/")
    try:
        if not slash:
            raise ValueError
        return Shard(index=int(left), count=int(right))
    except (ValueError, ValidationError) as error:
        raise ConfigError(f"--shard {text!r}: write k/n with 1 <= k <= n, e.g. --shard 1/4") from error


def _repeated(names: list[str]) -> list[str]:
    """The names that appear more than once, sorted."""
    return sorted({name for name in names if names.count(name) > 1})


_RUN_CONFIG = "RunConfig: "


class AdaptiveSettings(Record):
    """How an adaptive run chooses what to ask (:mod:`gapeval.adaptive`); recorded in the manifest.

    Everything but ``max_calls`` and the calibration's ``calibration`` path is part of the run's
    identity: a resumed run must choose with the same chooser, calibration content, batch and target,
    or its choices would differ from the logged ones. ``max_calls`` may be raised on resume.
    """

    chooser: str
    """What chooses the items, in words (e.g. ``GapVarianceChooser`` or ``RandomChooser(seed=0)``)."""
    calibration: str | None = None
    """The calibration file the chooser was built from, as given (``None`` for a chooser given in Python)."""
    calibration_sha256: str | None = None
    """The sha256 of the calibration file's bytes."""
    target_width: float | None = Field(default=None, gt=0.0)
    """Width of the gap's interval at which the chooser stops (the chooser applies it)."""
    batch: int = Field(default=4, ge=1)
    """Units chosen per step (asked together, so batching works)."""
    max_calls: int | None = Field(default=None, ge=1)
    """Most model calls per model (counted from the store, errors included); ``None``: no limit."""

    def identity(self) -> dict[str, Any]:
        """The settings a resumed adaptive run must share with the run it resumes."""
        return self.model_dump(exclude={"calibration", "max_calls"})


class RunConfig(Record):
    """Everything that defines a run (except where its store lives).

    Built with a field of the wrong type or range (``samples=0``, ``seed="abc"``, no models) it
    raises :class:`ConfigError` naming the field and the problem.
    """

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise ConfigError(f"{_RUN_CONFIG}{_first_problem(error)}") from None

    bank: str = "builtin"
    """``builtin`` or a bank folder (see :func:`gapeval.bank.load_bank`)."""
    models: tuple[ModelSpec, ...]
    """The respondents, answered one after the other."""
    seed: int = Field(default=0, ge=0)
    """Run seed; every request's seed is derived from it (:func:`gapeval.records.derive_seed`)."""
    samples: int = Field(default=1, ge=1)
    """How many times each item (and dialogue) is answered, with different seeds."""
    history: Literal["bank", "self", "gold"] = "bank"
    """Dialogue history: each dialogue's own setting (``bank``), the model's own outputs
    (``self``) or the reference images (``gold``) for every dialogue."""
    decoding: Decoding = Decoding()
    """Decoding settings sent with every request."""
    include: Literal["all", "items", "dialogues"] = "all"
    """Which part of the bank to ask."""
    limit: int | None = Field(default=None, ge=1)
    """Ask only the first ``limit`` items and the first ``limit`` dialogues (in id order)."""
    shard: Shard | None = None
    """Answer only this shard of the units (see :func:`gapeval.runner.plan.in_shard`)."""
    max_retries: int = Field(default=3, ge=0)
    """Retries of a transient error (rate limit, time-out) before it is logged as an error."""
    backoff_s: float = Field(default=1.0, ge=0.0)
    """First back-off wait; doubled at each retry (a server's Retry-After wins when longer)."""
    timeout_s: float | None = Field(default=None, gt=0.0)
    """Per-call time-out for asynchronous (HTTP) adapters; a timed-out call is a transient error."""
    max_wait_s: float = Field(default=120.0, gt=0.0)
    """Longest single wait before a retry; a server's Retry-After beyond it is not waited for: the
    call is logged as a transient error saying so, and a resumed run asks it again."""
    max_call_s: float | None = Field(default=600.0, gt=0.0)
    """Longest time a call may spend on retries (first attempt to the start of the last retry)."""
    max_text_bytes: int = Field(default=2**20, ge=1)
    """Largest text answer stored (UTF-8 bytes, default 1 MiB); a longer one is logged as an error
    (not stored, asked again by the next run)."""
    max_image_bytes: int = Field(default=32 * 2**20, ge=1)
    """Largest image answer stored (encoded bytes, default 32 MiB); a larger one is logged as an error."""
    concurrency: int = Field(default=8, ge=1)
    """Calls in flight at once for asynchronous (HTTP) adapters."""
    batch_size: int | None = Field(default=None, ge=1)
    """Requests handed to a synchronous adapter per call (default: its ``max_batch``); each call's
    answers are committed before the next call."""
    score: bool = True
    """Score the answers with the rule-based scorers when answering is done."""
    protocols: tuple[ProtocolSpec, ...] = (ProtocolSpec(name="direct", kind="direct"),)
    """Evaluation protocols (:mod:`gapeval.protocols`): every model answers every unit under each."""
    allow_changed_config: bool = False
    """Let a resumed run answer under a model name whose configuration (fingerprint) changed; the
    change is recorded and exports then ask which configuration to use
    (:mod:`gapeval.store.respondents`). Without it such a resume is refused."""
    adaptive: AdaptiveSettings | None = None
    """Adaptive testing (:mod:`gapeval.adaptive`): ask each model only the units a chooser picks,
    a few at a time, until it stops or ``max_calls``; ``None``: ask the whole plan."""

    @model_validator(mode="after")
    def _check_adaptive(self) -> RunConfig:
        if self.adaptive is None:
            return self
        if self.samples != 1 or [protocol.kind for protocol in self.protocols] != ["direct"] or self.shard:
            raise ValueError(
                "adaptive testing asks each chosen unit once, under the direct protocol, in one process "
                f"(got samples={self.samples}, protocols {[p.name for p in self.protocols]}, "
                f"shard {self.shard}); drop --samples, --protocol and --shard, or run without --adaptive"
            )
        return self

    @field_validator("protocols")
    @classmethod
    def _check_protocols(cls, protocols: tuple[ProtocolSpec, ...]) -> tuple[ProtocolSpec, ...]:
        if not protocols:
            raise ValueError("a run needs at least one protocol; add --protocol direct")
        if repeated := _repeated([protocol.name for protocol in protocols]):
            raise ValueError(
                f"protocol labels must be unique; {', '.join(repeated)} appear more than once: "
                "give variants a name= option, e.g. best-of-n:n=2,name=bo2"
            )
        return protocols

    @field_validator("models")
    @classmethod
    def _check_models(cls, models: tuple[ModelSpec, ...]) -> tuple[ModelSpec, ...]:
        if not models:
            raise ValueError(
                "a run needs at least one model; add --model SPEC (e.g. --model procedural)"
            )
        if repeated := _repeated([spec.name for spec in models]):
            raise ValueError(
                f"model names must be unique; {', '.join(repeated)} appear more than once: "
                "give each spec a name= option"
            )
        return models

    def identity(self) -> dict[str, Any]:
        """The settings a resumed run must share with the run it resumes."""
        return {
            "bank": self.bank,
            "seed": self.seed,
            "samples": self.samples,
            "history": self.history,
            "decoding": self.decoding.model_dump(),
            "protocols": {protocol.name: protocol.options() for protocol in self.protocols},
            "adaptive": None if self.adaptive is None else self.adaptive.identity(),
        }


def load_config(path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> RunConfig:
    """Read a TOML run config; ``overrides`` (from flags) replace its keys.

    The file holds the :class:`RunConfig` fields at top level and one ``[[models]]`` table per
    model (``adapter = "..."``, optional ``name``, and the adapter's options)::

        bank = "builtin"
        seed = 0
        [[models]]
        adapter = "simulated"
        name = "sim-a"
        theta_understanding = 1.0

    Raises
    ------
    ConfigError
        If the file cannot be read or parsed, or a field is invalid (the message names it).
    """
    file = Path(path)
    if not file.exists():
        raise ConfigError(f"config file {str(file)!r} does not exist")
    try:
        data = tomllib.loads(read_text(file, what="config file"))
    except GapevalError as error:
        raise ConfigError(str(error)) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {str(file)!r} is not valid TOML: {error}") from error
    if "adaptive" in data:
        raise ConfigError(
            f"config file {str(file)!r}: adaptive testing is set with flags, not in the file (--adaptive "
            "--calibration FILE --target-width W [--max-calls N] [--batch K]); remove its adaptive table"
        )
    tables = data.pop("models", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"config file {str(file)!r}: models must be [[models]] tables")
    data["models"] = tuple(spec_from_mapping(table) for table in tables)
    protocols = data.pop("protocols", None)
    if protocols is not None:
        if not isinstance(protocols, list) or not all(isinstance(t, dict) for t in protocols):
            raise ConfigError(f"config file {str(file)!r}: protocols must be [[protocols]] tables")
        data["protocols"] = tuple(protocol_from_mapping(table) for table in protocols)
    data.update({key: value for key, value in (overrides or {}).items() if value is not None})
    return build_config(data, where=f"config file {str(file)!r}")


def build_config(data: Mapping[str, Any], *, where: str = "run config") -> RunConfig:
    """Validate ``data`` into a :class:`RunConfig`; errors name the field and the problem."""
    try:
        return RunConfig(**dict(data))
    except ConfigError as error:
        raise ConfigError(f"{where}: {str(error).removeprefix(_RUN_CONFIG)}") from None


def _first_problem(error: ValidationError) -> str:
    """``field: problem`` of pydantic's first complaint (its multi-line report and web link dropped)."""
    first = error.errors()[0]
    field = ".".join(map(str, first["loc"])) or "config"
    return f"{field}: {first['msg'].removeprefix('Value error, ')}"


def check_resume(config: RunConfig, manifests: list[dict[str, Any]]) -> None:
    """Refuse to resume a store written with a different bank, seed, samples, history or decoding,
    or with a protocol label that had other options (adding protocols to a run is fine)."""
    if not manifests:
        return
    before = manifests[-1].get("config", {}).get("identity")
    if before is None:
        return
    now = config.identity()
    changed = sorted(key for key in now if key != "protocols" and before.get(key) != now[key])
    details = [f"{key}: was {before.get(key)!r}, now {now[key]!r}" for key in changed]
    earlier = before.get("protocols") or {}
    details += [
        f"protocol {name!r}: was {earlier[name]!r}, now {options!r}"
        for name, options in now["protocols"].items()
        if name in earlier and earlier[name] != options
    ]
    if details:
        detail = "; ".join(details)
        raise ConfigError(
            f"this run folder was written with other settings ({detail}); resume with the "
            "same settings or write to a new run folder"
        )
