"""Compiled programs are kept per layout: a second data set of the same layout runs without compiling.

Compilations are counted twice: by the layer's own counter (:func:`irt.inference.compiled.statistics`)
and by JAX's compile log (``jax.log_compiles``), which names every program XLA compiles.
"""

from __future__ import annotations

import logging

import jax
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from irt.inference import compiled, runners
from irt.inference.options import NUTSOptions, SVIOptions

NUTS = NUTSOptions(num_warmup=100, num_samples=100, num_chains=1, warm_start_steps=50)
SVI = SVIOptions(num_steps=300, num_draws=50, learning_rate_decay=1.0)   # constant: 300 steps reach mu = 3


def _model(y=None):
    mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
    numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)


def _data(centre: float, size: int = 50) -> dict:
    return {"y": np.random.default_rng(0).normal(centre, 1.0, size).astype(np.float32)}


@pytest.fixture
def compile_log(caplog):
    """Names of the programs JAX compiles inside the ``with`` block (from ``jax.log_compiles``)."""
    caplog.set_level(logging.WARNING)

    class Log:
        def __enter__(self):
            self.start = len(caplog.records)
            self.context = jax.log_compiles(True)
            self.context.__enter__()
            return self

        def __exit__(self, *exc):
            self.context.__exit__(*exc)
            self.messages = [r.getMessage() for r in caplog.records[self.start:]]

    return Log


@pytest.mark.parametrize(("runner", "options", "programs"), [(runners.run_nuts, NUTS, ("nuts_warm_start", "nuts_chain")),
                                                            (runners.run_svi, SVI, ("svi_fit",))])
def test_a_second_data_set_of_the_same_layout_does_not_recompile(runner, options, programs, compile_log):
    compiled.clear()
    first = runner(_model, seed=0, options=options, data=_data(3.0), layout=("toy",))
    before = compiled.statistics()
    with compile_log() as log:
        second = runner(_model, seed=0, options=options, data=_data(-3.0), layout=("toy",))
    after = compiled.statistics()
    assert after["compiled"] == before["compiled"] and after["reused"] > before["reused"]
    assert not [m for m in log.messages if any(name in m for name in programs)], log.messages
    # the data are the programs' arguments, not constants baked into them
    assert first.samples["mu"].mean() == pytest.approx(3.0, abs=0.5)
    assert second.samples["mu"].mean() == pytest.approx(-3.0, abs=0.5)


def test_the_log_names_the_programs_it_compiles(compile_log):
    """The check above would pass vacuously if JAX's log did not name the layer's programs."""
    compiled.clear()
    with compile_log() as log:
        runners.run_svi(_model, seed=0, options=SVI, data=_data(1.0), layout=("toy",))
    assert any("svi_fit" in m for m in log.messages), log.messages


def test_other_shapes_and_layouts_compile_and_the_cache_is_bounded(monkeypatch, memory_map_count):
    compiled.clear()
    monkeypatch.setattr(compiled, "PROGRAM_LIMIT", 2)
    short = SVIOptions(num_steps=20, num_draws=5)
    runners.run_svi(_model, seed=0, options=short, data=_data(1.0, 50), layout=("toy",))
    runners.run_svi(_model, seed=0, options=short, data=_data(1.0, 60), layout=("toy",))    # other shape
    runners.run_svi(_model, seed=0, options=short, data=_data(1.0, 50), layout=("other",))  # other layout
    assert compiled.statistics() == {"compiled": 3, "reused": 0, "kept": 2}
    runners.run_svi(_model, seed=0, options=short, data=_data(1.0, 50), layout=None)         # not kept
    assert compiled.statistics()["kept"] == 2
    # dropped programs release their memory maps (Linux allows 65,530 per process)
    before = memory_map_count()
    for k in range(4):
        runners.run_svi(_model, seed=0, options=short, data=_data(1.0, 50), layout=("loop", k))
    assert memory_map_count() - before < 60, (before, memory_map_count())


def test_layout_keys_see_array_contents_and_dataclass_fields():
    options = NUTSOptions(num_warmup=10)
    assert compiled.layout_key(np.array([0, 1]), options) == compiled.layout_key(np.array([0, 1]), NUTSOptions(num_warmup=10))
    assert compiled.layout_key(np.array([0, 1])) != compiled.layout_key(np.array([1, 0]))
    assert compiled.layout_key(options) != compiled.layout_key(NUTSOptions(num_warmup=11))
    with pytest.raises(TypeError):
        compiled.layout_key({"unhashable": [set()]})


def test_persistent_cache_folder_follows_the_environment(tmp_path):
    assert compiled.persistent_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "gapeval" / "jax"
    assert compiled.persistent_cache_dir({compiled.CACHE_ENV: str(tmp_path / "c")}) == tmp_path / "c"
    for off in ("off", "", "0"):
        assert compiled.persistent_cache_dir({compiled.CACHE_ENV: off}) is None


@pytest.mark.slow
def test_a_later_process_reads_the_programs_from_the_persistent_cache(tmp_path):
    import json
    import os
    import subprocess
    import sys

    code = ("import json, jax, numpy as np, numpyro, numpyro.distributions as dist\n"
            "from irt.inference import runners\n"
            "from irt.inference.options import SVIOptions\n"
            "hits = []\n"
            "jax.monitoring.register_event_listener(lambda name, **kw: hits.append(name))\n"
            "def model(y=None):\n"
            "    mu = numpyro.sample('mu', dist.Normal(0.0, 10.0))\n"
            "    numpyro.sample('y', dist.Normal(mu, 1.0), obs=y)\n"
            "runners.run_svi(model, seed=0, options=SVIOptions(num_steps=2000, num_draws=5),\n"
            "                data={'y': np.zeros(2000, np.float32)}, layout=('probe',))\n"
            "print(json.dumps(hits.count('/jax/compilation_cache/cache_hits')))\n")
    env = {**os.environ, compiled.CACHE_ENV: str(tmp_path / "jax")}

    def hits() -> int:
        return json.loads(subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True,
                                         text=True).stdout.strip().splitlines()[-1])

    assert hits() == 0
    assert any(p.name.startswith("jit_svi_fit") for p in (tmp_path / "jax").iterdir())
    assert hits() >= 1   # the second process read the SVI program instead of compiling it
