"""Files written atomically get the user's umask, not the 0600 of a temporary file."""

from __future__ import annotations

import os
import stat

import pytest

from gapeval.store.atomic import write_bytes_atomic


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_write_follows_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        write_bytes_atomic(tmp_path / "table.tex", b"x", fsync=False, suffix=".tex")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "table.tex").stat().st_mode) == mode
    assert (tmp_path / "table.tex").read_bytes() == b"x"
    assert [p.name for p in tmp_path.iterdir()] == ["table.tex"]
