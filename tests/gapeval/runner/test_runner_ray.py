"""``gapeval run --ray``: shards as tasks on a local Ray instance, merged into the run folder.

Ray's old ``local_mode`` is gone (Ray >= 2.4x), so this starts a small local Ray instance (about
ten seconds) once for the module.
"""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray", reason="Ray is an optional extra (gapeval[ray])")

from gapeval.adapters.scripted import ScriptedAdapter  # noqa: E402
from gapeval.bank import load_bank  # noqa: E402
from gapeval.errors import GapevalError  # noqa: E402
from gapeval.model_spec import ModelSpec  # noqa: E402
from gapeval.runner import RunConfig, Shard, run  # noqa: E402
from gapeval.runner.ray_backend import RayOptions, run_on_ray, shard_folder  # noqa: E402
from gapeval.store import Store, answer_digest  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=80 * 2**20)
    yield
    ray.shutdown()


def stored(folder) -> dict[tuple, str]:
    with Store(folder, create=False) as store:
        return {a.key.columns(): answer_digest(a.result) for a in store.answers()}


def test_ray_shards_merge_to_the_unsharded_run_and_resume(tmp_path, local_ray):
    config = RunConfig(models=(ModelSpec(name="scripted", adapter="scripted"),), limit=5, score=False)
    run(config, tmp_path / "plain", adapters={"scripted": ScriptedAdapter()}, bank=load_bank("builtin"))
    out = tmp_path / "ray"
    summaries = run_on_ray(config, out, RayOptions(num_shards=3))
    assert all(summary["complete"] for summary in summaries)
    assert stored(out) == stored(tmp_path / "plain")
    assert sum(len(stored(shard_folder(out, Shard(index=k, count=3)))) for k in (1, 2, 3)) == len(stored(out))
    again = run_on_ray(config, out, RayOptions(num_shards=3))
    assert all(not summary["models"]["scripted"]["statuses"] for summary in again)
    assert stored(out) == stored(tmp_path / "plain")


def test_ray_refuses_a_folder_of_a_plain_run(tmp_path, local_ray):
    config = RunConfig(models=(ModelSpec(name="scripted", adapter="scripted"),), limit=1, score=False)
    run(config, tmp_path, adapters={"scripted": ScriptedAdapter()}, bank=load_bank("builtin"))
    with pytest.raises(GapevalError, match="made without --ray"):
        run_on_ray(config, tmp_path, RayOptions(num_shards=2))
