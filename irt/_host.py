"""One JAX CPU device per core, so that NUTS chains run in parallel by default.

JAX reads ``XLA_FLAGS`` once, when it starts. Unless told otherwise it sees one CPU device, and
NUTS chains then run in lock-step on it (``chain_method="vectorized"``, one core). When ``irt`` is
imported, :func:`use_host_cores` asks for one CPU device per available core
(``--xla_force_host_platform_device_count``) before JAX starts, so that
:func:`irt.inference.options.resolve_chain_method` picks ``parallel``. ``XLA_FLAGS`` is left alone
when the user already set the device count there, when ``IRT_HOST_DEVICES`` says otherwise (a number
of devices; ``0``: JAX's default of one), and when JAX is already imported (too late to change).
"""

from __future__ import annotations

import contextlib
import os
import sys

__all__ = ["cores", "use_host_cores", "device_flags", "single_threaded_blas", "DEVICE_FLAG", "DEVICES_ENV"]

#: The XLA flag that sets the number of CPU devices.
DEVICE_FLAG = "--xla_force_host_platform_device_count"
#: Environment variable: CPU devices to ask for (``0``: leave JAX's default of one).
DEVICES_ENV = "IRT_HOST_DEVICES"


def cores() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # not Linux
        return os.cpu_count() or 1


def device_flags(flags: str, wanted: str, cores: int) -> str | None:
    """``XLA_FLAGS`` with the device count added, or None to leave them as they are.

    ``flags`` are the current ``XLA_FLAGS``, ``wanted`` the value of ``IRT_HOST_DEVICES`` ("" when
    unset), ``cores`` the cores this process may use.

    Examples
    --------
    >>> device_flags("", "", 2)
    '--xla_force_host_platform_device_count=2'
    >>> device_flags("--xla_force_host_platform_device_count=1", "", 8) is None   # the user's choice
    True
    >>> device_flags("", "0", 8) is None
    True
    """
    if DEVICE_FLAG in flags:
        return None
    wanted = wanted.strip()
    if wanted and not wanted.isdigit():
        raise ValueError(f"{DEVICES_ENV}={wanted!r} must be a whole number of CPU devices (0: JAX's default of one)")
    count = int(wanted) if wanted else cores
    return None if count < 1 else f"{flags} {DEVICE_FLAG}={count}".strip()


def use_host_cores() -> None:
    """Set ``XLA_FLAGS`` by :func:`device_flags` unless JAX is already imported."""
    if "jax" in sys.modules:
        return
    flags = device_flags(os.environ.get("XLA_FLAGS", ""), os.environ.get(DEVICES_ENV, ""), cores())
    if flags is not None:
        os.environ["XLA_FLAGS"] = flags


def single_threaded_blas():
    """A context in which BLAS runs on one thread (for many small products; threads spin on a busy machine).

    L-BFGS-B's tiny dense updates are ~10x slower threaded; the grid posteriors of θ
    (:mod:`irt.grid_scoring`, 20 x 600, 100 draws) took 4.75 CPU s with the default threads at load 13
    and 0.38 s with one. Uses ``threadpoolctl`` when it is installed; otherwise does nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only speed depends on it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
