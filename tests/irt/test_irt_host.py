"""``import irt`` is light and gives JAX one CPU device per core, so NUTS chains run in parallel by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from irt._host import DEVICES_ENV, device_flags

PROBE = ("import sys, json, irt; light = 'jax' not in sys.modules; import jax; "
         "from irt.inference.options import resolve_chain_method; "
         "print(json.dumps([light, jax.local_device_count(), resolve_chain_method(None, 2)]))")


def _probe(**env: str) -> list:
    environ = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", DEVICES_ENV)}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env={**environ, **env})
    return json.loads(out.stdout)


def test_import_irt_does_not_start_jax_and_asks_for_a_device_per_core():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    light, devices, method = _probe()
    assert light and devices == cores
    assert method == ("parallel" if cores >= 2 else "vectorized")


@pytest.mark.slow
def test_the_users_choice_is_kept():
    assert _probe(XLA_FLAGS="--xla_force_host_platform_device_count=1")[1:] == [1, "vectorized"]
    assert _probe(**{DEVICES_ENV: "3"})[1:] == [3, "parallel"]


def test_device_flags_keep_other_flags_and_refuse_nonsense():
    assert device_flags("--xla_dump_to=/tmp/x", "", 4) == "--xla_dump_to=/tmp/x --xla_force_host_platform_device_count=4"
    with pytest.raises(ValueError, match="IRT_HOST_DEVICES='two' must be a whole number"):
        device_flags("", "two", 4)
