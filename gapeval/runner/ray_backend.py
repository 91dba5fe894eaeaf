"""Spread a run's shards over a Ray cluster (``gapeval run --ray``).

The run is cut into ``num_shards`` shards (:func:`gapeval.runner.plan.in_shard`); each shard is one
Ray task that runs :func:`gapeval.runner.engine.run` into its own store, ``OUT/shards/K-of-N``, on
whichever node Ray places it (each task asks for ``gpus_per_shard`` GPUs, so one shard runs per
GPU). The shard stores are the durable record: a killed or failed task loses only its batch in
flight, and running the same command again resumes every shard. When all tasks have finished, the
shard stores are merged into ``OUT`` itself, which is rebuilt from the shards each time (do not
write to ``OUT``'s own store by other means in a Ray run).

Ray must reach the run folder from every node: on a multi-machine cluster put ``OUT`` (and the
bank, and the weights) on a shared file system.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gapeval.errors import GapevalError
from gapeval.extras import require
from gapeval.runner.config import RunConfig, Shard

__all__ = ["RayOptions", "run_on_ray", "shard_folder"]

SHARDS = "shards"


@dataclass(frozen=True)
class RayOptions:
    """Where and how to run the shards."""

    num_shards: int = 2
    """How many shards (tasks) to cut the run into."""
    address: str | None = None
    """Address of a running cluster (``ray://host:10001`` or ``auto``); ``None`` starts a local one."""
    gpus_per_shard: float = 0.0
    """GPUs each task asks Ray for (1 for one model replica per GPU)."""
    cpus_per_shard: float = 1.0
    """CPUs each task asks Ray for."""


def shard_folder(out: str | Path, shard: Shard) -> Path:
    """The store folder of ``shard`` in run folder ``out``."""
    return Path(out) / SHARDS / f"{shard.index}-of-{shard.count}"


def _run_shard(config_json: str, folder: str) -> dict[str, Any]:
    """One Ray task: run one shard into its folder; return the per-model counts."""
    from gapeval.runner.engine import run

    config = RunConfig.model_validate_json(config_json)
    report = run(config, folder)
    return {
        "folder": folder,
        "models": {m.name: {"statuses": m.statuses, "skipped": m.skipped} for m in report.models},
        "complete": report.complete,
    }


def _clear_merged(out: Path) -> None:
    """Remove ``out``'s merged store (rebuilt from the shards), keeping the shards."""
    for name in ("answers.sqlite", "answers.sqlite-wal", "answers.sqlite-shm", "manifest.json"):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / "images", ignore_errors=True)


def run_on_ray(config: RunConfig, out: str | Path, options: RayOptions) -> list[dict[str, Any]]:
    """Run ``config`` as ``options.num_shards`` Ray tasks, then merge the shards into ``out``.

    Returns
    -------
    list of dict
        One summary per shard: its folder, per-model status counts, and whether it completed.

    Raises
    ------
    GapevalError
        If ``config`` already names a shard, or ``out`` holds a run made without ``--ray``.
    MissingExtraError
        If Ray is not installed (``install gapeval[ray]``).
    """
    if config.shard is not None:
        raise GapevalError("--ray cuts the run into shards itself; drop --shard")
    out = Path(out)
    if (out / "answers.sqlite").exists() and not (out / SHARDS).exists():
        raise GapevalError(
            f"{str(out)!r} holds a run made without --ray; resume it without --ray, "
            "or use a new run folder"
        )
    ray = require("ray", needed_by="gapeval run --ray")
    from gapeval.store import merge

    shards = [Shard(index=k, count=options.num_shards) for k in range(1, options.num_shards + 1)]
    task = ray.remote(num_gpus=options.gpus_per_shard, num_cpus=options.cpus_per_shard)(_run_shard)
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=options.address, include_dashboard=False, log_to_driver=False)
    try:
        futures = [
            task.remote(
                config.model_copy(update={"shard": shard}).model_dump_json(),
                str(shard_folder(out, shard)),
            )
            for shard in shards
        ]
        summaries = list(ray.get(futures))
    finally:
        if started_here:
            ray.shutdown()
    _clear_merged(out)
    merge([shard_folder(out, shard) for shard in shards], out).close()
    return summaries
