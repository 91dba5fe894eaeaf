"""Reading the anchors' files for the importers: every problem a :class:`BankError` naming the place.

A :class:`Where` names a file, and a line (JSONL) or an entry (a JSON list) in it; its
:meth:`Where.field` adds the field path (``tasks[2].output.answer``). The getters check a field's
type and say what was found and what was expected; :func:`build` turns a pydantic
``ValidationError`` from a bank record into a :class:`BankError` at the same place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gapeval.bank.io import BankError, describe_validation_error

#: Image files the anchors' own scripts pick up.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Where:
    """A place in a source file: ``file``, with a 1-based ``line`` (JSONL) or ``entry`` (JSON list)."""

    file: Path
    line: int | None = None
    entry: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.entry is not None:
            return f"{self.file} entry {self.entry}"
        return str(self.file)

    def field(self, name: str) -> str:
        """``file:line: field 'name'``."""
        return f"{self} field {name!r}"


def read_json(path: Path) -> Any:
    """Parse a JSON file; a malformed one is a :class:`BankError` with its line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise BankError(f"{path}: not UTF-8 text ({error.reason}); save it as UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BankError(
            f"{path}:{error.lineno}: malformed JSON ({error.msg} at column {error.colno})"
        ) from None
    except RecursionError:
        raise BankError(f"{path}: JSON nested too deeply to read") from None


def read_jsonl(path: Path) -> list[tuple[Where, dict[str, Any]]]:
    """The objects of a JSONL file with their places; blank lines are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise BankError(f"{path}: not UTF-8 text ({error.reason}); save it as UTF-8") from None
    rows = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = Where(path, line=lineno)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise BankError(f"{where}: malformed JSON ({error.msg} at column {error.colno}); "
                            "each line must be one JSON object") from None
        except RecursionError:
            raise BankError(f"{where}: JSON nested too deeply to read") from None
        rows.append((where, object_at(row, where)))
    return rows


def read_entries(path: Path) -> list[tuple[Where, dict[str, Any]]]:
    """The objects of a ``.json`` list or a ``.jsonl`` file, with their places."""
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    data = read_json(path)
    if not isinstance(data, list):
        raise BankError(f"{path}: expected a JSON list of entries, found {type(data).__name__}")
    return [(Where(path, entry=index), object_at(row, Where(path, entry=index))) for index, row in enumerate(data)]


def object_at(value: Any, where: Where | str) -> dict[str, Any]:
    """``value`` when it is a JSON object, else a :class:`BankError` at ``where``."""
    if not isinstance(value, dict):
        raise BankError(f"{where}: expected a JSON object, found {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def get_str(data: Mapping[str, Any], key: str, where: Where, *, path: str | None = None,
            required: bool = True, allow_empty: bool = False) -> str | None:  # fmt: skip
    """A string field (``None`` when absent and not required); empty strings only when allowed."""
    name = path or key
    value = data.get(key)
    if value is None:
        if required:
            raise BankError(f"{where.field(name)} is missing; the format needs it")
        return None
    if not isinstance(value, str):
        raise BankError(f"{where.field(name)} should be a string, found {_kind(value)}: {_short(value)}")
    if not allow_empty and not value.strip():
        if required:
            raise BankError(f"{where.field(name)} is empty; the format needs a text")
        return None
    return value


def get_id(data: Mapping[str, Any], key: str, where: Where, *, path: str | None = None) -> str:
    """An identifier (string or integer), as ``str()`` of it: the anchors compare ``str(sample_id)``."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
        found = "missing" if value is None else f"{_kind(value)}: {_short(value)}"
        raise BankError(f"{where.field(path or key)} should be a string or an integer id, found {found}")
    return str(value)


def get_int(data: Mapping[str, Any], key: str, where: Where, *, path: str | None = None, minimum: int = 1) -> int:
    """An integer field of at least ``minimum`` (``true``/``false`` are not integers)."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        found = "missing" if value is None else f"{_kind(value)}: {_short(value)}"
        raise BankError(f"{where.field(path or key)} should be an integer >= {minimum}, found {found}")
    return value


def get_list(data: Mapping[str, Any], key: str, where: Where, *, path: str | None = None,
             required: bool = True, non_empty: bool = False) -> list[Any]:  # fmt: skip
    """A list field (``[]`` when absent and not required)."""
    name = path or key
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        found = "missing" if value is None else f"{_kind(value)}: {_short(value)}"
        raise BankError(f"{where.field(name)} should be a list, found {found}")
    if non_empty and not value:
        raise BankError(f"{where.field(name)} is an empty list; the format needs at least one entry")
    return value


def get_strings(data: Mapping[str, Any], key: str, where: Where, *, path: str | None = None,
                required: bool = True, non_empty: bool = False) -> list[str]:  # fmt: skip
    """A list of non-empty strings."""
    name = path or key
    values = get_list(data, key, where, path=name, required=required, non_empty=non_empty)
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise BankError(f"{where.field(f'{name}[{index}]')} should be a non-empty string, "
                            f"found {_kind(value)}: {_short(value)}")
    return values


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def build(model: type[Model], where: Where | str, **fields: Any) -> Model:
    """``model(**fields)``, with a validation error reported as a :class:`BankError` at ``where``."""
    try:
        return model(**fields)
    except ValidationError as error:
        raise BankError(f"{where}: {describe_validation_error(error)}") from None


def images_in(folder: Path) -> list[Path]:
    """Image files directly in ``folder`` (sorted by name, as the anchors sort them), or ``[]``."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def relative_to(root: Path, path: Path, where: str) -> str:
    """``path`` relative to ``root`` in POSIX form; an image outside ``root`` is a :class:`BankError`."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise BankError(f"{where}: image {path} lies outside the source folder {root}; "
                        "copy it inside the folder you import") from None
