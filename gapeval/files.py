"""Reading the user's text and table files with errors that name the file, the line and the column.

Every command that reads a file the user wrote (a TOML config, a ``.csv`` or ``.parquet`` table)
reads it here, so a file that is not UTF-8, a CSV row with too many fields, an empty file or a
damaged Parquet file becomes one :class:`~gapeval.errors.GapevalError` saying which file, where and
what to do — never pandas' or the codec's bare message.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_bytes(b"a,b\\n1,2\\n3,\\xe9\\n")
>>> read_table(folder / "t.csv", what="ratings table")
Traceback (most recent call last):
...
gapeval.errors.GapevalError: ratings table '.../t.csv' is not UTF-8 text: byte 0xe9 at line 3, column 3; save it as UTF-8
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from gapeval.errors import GapevalError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["not_utf8", "output_file", "output_folder", "read_text", "read_table", "TABLE_SUFFIXES"]

#: File name endings :func:`read_table` reads.
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".pq")


def not_utf8(path: str | Path, raw: bytes, error: UnicodeDecodeError, *, what: str) -> GapevalError:
    """The error for ``raw`` (the bytes of ``path``) failing to decode at ``error.start``: line and column named."""
    start = error.start
    line = raw.count(b"\n", 0, start) + 1
    column = start - (raw.rfind(b"\n", 0, start) + 1) + 1
    return GapevalError(f"{what} {str(path)!r} is not UTF-8 text: byte 0x{raw[start]:02x} at line {line}, "
                        f"column {column}; save it as UTF-8")


def _existing(path: str | Path, what: str) -> Path:
    file = Path(path)
    if not file.exists():
        raise GapevalError(f"{what} {str(file)!r} does not exist; check the path")
    if file.is_dir():
        raise GapevalError(f"{what} {str(file)!r} is a folder; give a file")
    return file


def read_text(path: str | Path, *, what: str = "file") -> str:
    """The UTF-8 text of ``path``; a missing file, a folder or bytes that are not UTF-8 are named."""
    file = _existing(path, what)
    raw = file.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise not_utf8(file, raw, error, what=what) from None


def read_table(path: str | Path, *, what: str = "table") -> pd.DataFrame:
    """A ``.csv`` (UTF-8) or ``.parquet`` file as a DataFrame; every reading failure names the file.

    Raises
    ------
    GapevalError
        The file is missing, a folder, of another kind, not UTF-8 (line and column named), not a
        well-formed CSV (the line named), empty, or not a readable Parquet file.
    """
    import pandas as pd

    file = _existing(path, what)
    suffix = file.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise GapevalError(f"cannot read {what} {str(file)!r}: use a .csv or .parquet file")
    if suffix != ".csv":
        try:
            return pd.read_parquet(file)
        except (OSError, ValueError, TypeError) as error:  # pyarrow's ArrowInvalid is a ValueError
            raise GapevalError(f"{what} {str(file)!r} is not a readable Parquet file ({_first_line(error)}); "
                               "write it again or export it as .csv") from None
    raw = file.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise not_utf8(file, raw, error, what=what) from None
    try:
        return pd.read_csv(file, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise GapevalError(f"{what} {str(file)!r} is empty; it needs a header row and data rows") from None
    except pd.errors.ParserError as error:
        where = re.search(r"line (\d+)", str(error))
        at = f"at line {where.group(1)}" if where else "somewhere"
        raise GapevalError(f"{what} {str(file)!r} is not a well-formed CSV {at}: {_first_line(error)}; "
                           "quote fields that hold commas or fix the row") from None


def output_folder(path: str | Path, *, what: str = "output folder") -> Path:
    """``path`` as a folder to write into (it may exist); an existing file there is named, before any work."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise GapevalError(f"the {what} {str(folder)!r} is an existing file; give a folder (new or existing), "
                           "or move the file away")
    return folder


def output_file(path: str | Path, *, what: str = "output file") -> Path:
    """``path`` as a file to write (replaced if it exists); a folder there, or a file where its folder
    should be, is named before any work."""
    file = Path(path)
    if file.is_dir():
        raise GapevalError(f"the {what} {str(file)!r} is a folder; give a file name such as "
                           f"{str(file / ('out' + (file.suffix or '.csv')))!r}")
    for parent in file.parents:
        if parent.exists():
            if not parent.is_dir():
                raise GapevalError(f"cannot write the {what} {str(file)!r}: {str(parent)!r} is a file, not a folder")
            break
    return file


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
