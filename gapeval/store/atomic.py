"""Atomic file writes: a temporary file in the target's folder, optionally fsynced, then renamed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes_atomic"]


def write_bytes_atomic(target: Path, data: bytes, *, fsync: bool, suffix: str = "") -> None:
    """Write ``data`` to ``target`` so that readers see the old file or the whole new one, never a part.

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
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
