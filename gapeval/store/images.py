"""A content-addressed folder of image files, written atomically.

An image with sha256 ``abcdef...`` and PNG content lives at ``images/ab/abcdef....png``. A file is
written to a temporary name in the same folder and renamed into place, so a killed process leaves
either no file or a complete one (at worst a stray ``.tmp-*`` file, ignored and
cleaned by :meth:`ImageFolder.remove_stray`). Writing an image already present is a no-op.

Examples
--------
>>> import tempfile
>>> folder = ImageFolder(tempfile.mkdtemp())
>>> relative = folder.put(b"\\x89PNG fake bytes")
>>> relative.endswith(".png"), folder.put(b"\\x89PNG fake bytes") == relative
(True, True)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gapeval.errors import GapevalError
from gapeval.store.atomic import write_bytes_atomic

__all__ = ["ImageFolder", "ImageIntegrityError", "image_suffix"]


class ImageIntegrityError(GapevalError):
    """An image file is missing or does not hash to its name."""


def image_suffix(data: bytes) -> str:
    """File suffix from the magic bytes: ``.png``, ``.jpg``, ``.webp``, ``.gif`` or ``.bin``.

    Examples
    --------
    >>> image_suffix(b"\\xff\\xd8\\xff\\xe0"), image_suffix(b"??")
    ('.jpg', '.bin')
    """
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data.startswith(b"\xff\xd8"):
        return ".jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ".gif"
    return ".bin"


class ImageFolder:
    """A content-addressed image folder rooted at ``root`` (created if missing).

    With ``fsync=True`` each file is flushed to the disk before the rename (survives power cuts, at
    several milliseconds per image); without, a killed process still never leaves a partial file.
    ``create=False`` leaves a missing folder missing (readers of a read-only store).
    """

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = False, create: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        if create:
            self.root.mkdir(parents=True, exist_ok=True)

    def relative_path(self, sha256: str, suffix: str) -> str:
        """The path of an image relative to the folder's parent, e.g. ``images/ab/ab....png``."""
        return f"{self.root.name}/{sha256[:2]}/{sha256}{suffix}"

    def path(self, relative: str) -> Path:
        """Absolute path of a file given by :meth:`relative_path`."""
        return self.root.parent / relative

    def put(self, data: bytes, *, sha256: str | None = None) -> str:
        """Store ``data`` under its sha256 and return its relative path.

        Raises
        ------
        ImageIntegrityError
            If ``sha256`` is given and ``data`` does not hash to it.
        """
        digest = hashlib.sha256(data).hexdigest()
        if sha256 is not None and digest != sha256:
            raise ImageIntegrityError(f"image bytes hash to {digest}, not to the expected {sha256}")
        relative = self.relative_path(digest, image_suffix(data))
        target = self.path(relative)
        if target.exists() and target.stat().st_size == len(data):
            return relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(target, data, fsync=self.fsync)
        return relative

    def read(self, relative: str, *, sha256: str) -> bytes:
        """Read an image file and check its hash.

        Raises
        ------
        ImageIntegrityError
            If the file is missing or its content does not hash to ``sha256``.
        """
        target = self.path(relative)
        if not target.exists():
            raise ImageIntegrityError(f"image file {str(target)!r} is missing from the store")
        data = target.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ImageIntegrityError(f"image file {str(target)!r} does not hash to {sha256}")
        return data

    def remove_stray(self) -> int:
        """Delete temporary files left by killed writers; return how many were removed."""
        removed = 0
        for stray in self.root.glob("*/.tmp-*"):
            stray.unlink(missing_ok=True)
            removed += 1
        return removed
