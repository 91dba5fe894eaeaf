"""Atomic file writes: a temporary file in the target's folder, optionally fsynced, then renamed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes_atomic"]


def _umask() -> int:
    """The process's umask, read without changing it where Linux allows (``/proc/self/status``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # other systems: the only portable read sets it, so set it back at once
    os.umask(mask)
    return mask


def write_bytes_atomic(target: Path, data: bytes, *, fsync: bool, suffix: str = "") -> None:
    """Write ``data`` to ``target`` so that readers see the old file or the whole new one, never a part.

    The file gets the mode a plain ``open(target, "w")`` would give it (``0o666`` less the umask),
    not the ``0o600`` of a temporary file, so co-authors on a shared filesystem can read it.

    Parameters
    ----------
    target : pathlib.Path
        The file to write; its folder must exist.
    data : bytes
        The content.
    fsync : bool
        Flush to disk before the rename (survives power loss, not only a killed process).
    suffix : str
        Suffix of the temporary file's name.
    """
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=target.parent)
    try:
        os.chmod(descriptor, 0o666 & ~_umask())
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
