"""Read, validate, hash and write banks: ``bank.jsonl`` plus the images beside it.

Every error names the file and line of the offending record and says how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image
from pydantic import ValidationError

from gapeval.bank.checks import check_dialogue, check_numbers, check_verifiers
from gapeval.bank.schema import RECORD_ADAPTER, Dialogue, BankImage, Item
from gapeval.errors import GapevalError

#: Images with more pixels than this are refused before they are decoded (decompression bombs).
DEFAULT_MAX_PIXELS = 4096 * 4096
BANK_FILE = "bank.jsonl"


class BankError(GapevalError):
    """A bank file that cannot be loaded: the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Bank:
    """A loaded, validated bank.

    Attributes
    ----------
    root
        The bank folder; image paths in records are relative to it.
    items, dialogues
        The records, in file order.
    hash
        ``sha256:`` digest of ``bank.jsonl`` and every image it references (see :func:`bank_hash`).
    """

    root: Path
    items: tuple[Item, ...]
    dialogues: tuple[Dialogue, ...]
    hash: str

    def image_path(self, path: str) -> Path:
        """Absolute path of the bank image ``path`` (checked to stay inside the bank folder)."""
        return resolve_image_path(self.root, path)

    def open_image(self, path: str) -> Image.Image:
        """Open the bank image ``path`` as an RGB PIL image (size checked before decoding)."""
        full = self.image_path(path)
        check_image(full, max_pixels=DEFAULT_MAX_PIXELS)
        with Image.open(full) as image:
            return image.convert("RGB")

    def prompt(self, item: Item) -> list[str | Image.Image]:
        """The prompt of ``item`` as text strings and opened RGB images, in order.

        Examples
        --------
        >>> bank = load_bank("builtin")
        >>> [type(part).__name__ for part in bank.prompt(bank.item("count-001-und"))]
        ['Image', 'str']
        """
        return [self.open_image(part.path) if isinstance(part, BankImage) else part.text for part in item.prompt]

    def item(self, item_id: str) -> Item:
        """Return the item with id ``item_id``."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"no item {item_id!r} in the bank at {self.root}")


def builtin_path() -> Path:
    """Folder of the built-in bank shipped as package data."""
    return Path(str(resources.files("gapeval") / "data" / "bank" / "builtin"))


def resolve_image_path(root: Path, path: str) -> Path:
    """Join ``root`` and the relative ``path``; refuse absolute paths and paths leaving ``root``.

    Examples
    --------
    >>> resolve_image_path(Path("/bank"), "../secret.png")
    Traceback (most recent call last):
    ...
    gapeval.bank.io.BankError: image path '../secret.png' escapes the bank folder; use a path relative to the bank folder, inside it
    """
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in path or (pure.parts and ":" in pure.parts[0]):
        raise BankError(
            f"image path {path!r} escapes the bank folder; use a path relative to the bank folder, inside it"
        )
    full = (root / pure).resolve()
    if not full.is_relative_to(root.resolve()):
        raise BankError(f"image path {path!r} escapes the bank folder (through a link); copy the image inside it")
    return full


def check_image(path: Path, *, max_pixels: int, decode: bool = False) -> tuple[int, int]:
    """Return ``(width, height)`` of the image at ``path`` read from its header, refusing big ones.

    With ``decode=True`` the whole image is decoded too, so a truncated or damaged file (whose
    header reads fine) is refused here rather than failing every run that shows it.
    """
    if not path.is_file():
        raise BankError(f"image {path} does not exist; add it or fix the path")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if decode and width * height <= max_pixels:
                    image.load()
    except Image.DecompressionBombError as error:
        raise BankError(
            f"image {path} is a possible decompression bomb, refused unread ({error}); downscale it"
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        what = "is damaged or truncated" if decode else "cannot be read"
        raise BankError(f"image {path} {what} ({error}); save it as PNG or JPEG") from None
    if width * height > max_pixels:
        raise BankError(
            f"image {path} has {width}x{height} = {width * height} pixels, over the limit of {max_pixels} "
            "(possible decompression bomb); downscale it or raise max_pixels"
        )
    return width, height


def _bank_file(path: str | Path) -> Path:
    file = builtin_path() / BANK_FILE if str(path) == "builtin" else Path(path)
    if file.is_dir():
        file = file / BANK_FILE
    if not file.is_file():
        raise BankError(f"bank file {file} does not exist; pass a bank folder holding {BANK_FILE}")
    return file


def _scan(
    file: Path, *, max_pixels: int, check_images: bool, strict: bool, problems: list[str] | None
) -> tuple[list[Item], list[Dialogue], set[str]]:
    """Read and check every record of ``file``.

    Each problem is raised as a :class:`BankError` when ``problems`` is ``None``, else appended to it
    (and the record left out). ``strict`` also decodes every image fully and checks that every number
    is finite (:func:`validate_bank`); without it those two defects are left to the run, which records
    the items they affect as unanswerable or unscorable.
    """

    def report(message: str) -> None:
        if problems is None:
            raise BankError(message)
        problems.append(message)

    root = file.parent
    items: list[Item] = []
    dialogues: list[Dialogue] = []
    seen: dict[str, int] = {}
    images: set[str] = set()
    for lineno, record in _parse_lines(file):
        where = f"{file}:{lineno}"
        if isinstance(record, BankError):
            report(str(record))
            continue
        if record.id in seen:
            report(f"{where}: duplicate id {record.id!r} (first on line {seen[record.id]}); ids must be unique")
            continue
        seen[record.id] = lineno
        found = len(problems) if problems is not None else 0
        try:
            if isinstance(record, Dialogue):
                check_dialogue(record)
            check_verifiers(record)
            if strict:
                check_numbers(record)
        except ValueError as error:
            report(f"{where}: {error}")
        paths = record_image_paths(record)
        for image in paths:
            try:
                full = resolve_image_path(root, image)
                if check_images:
                    check_image(full, max_pixels=max_pixels, decode=strict)
            except BankError as error:
                report(f"{where}: {error}")
        if problems is not None and len(problems) > found:
            continue
        images.update(paths)
        (dialogues if isinstance(record, Dialogue) else items).append(record)
    return items, dialogues, images


def load_bank(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS, check_images: bool = True) -> Bank:
    """Load and validate a bank folder (or its ``bank.jsonl``); ``"builtin"`` loads the built-in bank.

    Images are checked from their headers (size, format); :func:`validate_bank` (``gapeval bank
    validate``) also decodes them fully and checks that every number is finite.

    Raises
    ------
    BankError
        Naming ``file:line`` for malformed JSON, text that is not UTF-8, nesting too deep to read,
        schema errors (unknown fields, wrong types), unknown verifier names, duplicate ids, missing
        images or paths escaping the folder, images over ``max_pixels``, and dialogue turns that
        reference a later turn.

    Examples
    --------
    >>> bank = load_bank("builtin")
    >>> len(bank.items) >= 1200, bank.hash.startswith("sha256:")
    (True, True)
    """
    file = _bank_file(path)
    items, dialogues, images = _scan(file, max_pixels=max_pixels, check_images=check_images, strict=False,
                                     problems=None)  # fmt: skip
    digest = _digest(file, file.parent, images)
    return Bank(root=file.parent, items=tuple(items), dialogues=tuple(dialogues), hash=digest)


def run_bank(manifest: Mapping[str, Any] | None, bank: Bank | str | Path | None = None, *, where: str,
             fix: str) -> Bank:
    """The bank a run was answered on: ``bank``, or the one its manifest names, with its hash checked.

    Parameters
    ----------
    manifest : mapping or None
        The run's latest manifest (:meth:`gapeval.store.Store.manifests`); its ``config["bank"]`` names
        the bank and ``bank_hash`` (in ``config`` or at the top) is the hash the run recorded.
    bank : Bank, path or ``"builtin"``, optional
        The bank to use instead of the one the manifest names; its hash must still match.
    where : str
        The run, as the messages name it (e.g. its folder).
    fix : str
        What the caller's user should do when the bank is not named or is another one.

    Raises
    ------
    GapevalError
        The manifest names no bank and none is given, or the bank's hash is not the run's.
    BankError
        The bank cannot be loaded.

    Examples
    --------
    >>> run_bank({"config": {"bank": "builtin"}}, where="runs/mine", fix="pass bank=").hash.startswith("sha256:")
    True
    >>> run_bank({"config": {"bank": "builtin", "bank_hash": "sha256:0"}}, where="runs/mine", fix="pass bank=")
    Traceback (most recent call last):
    gapeval.errors.GapevalError: the bank at ... has hash sha256:..., but the run in runs/mine was answered on sha256:0; pass bank=
    """
    manifest = manifest or {}
    config = manifest.get("config") or {}
    if bank is None:
        if "bank" not in config:
            raise GapevalError(f"the run in {where} has no manifest naming its bank (manifest config['bank']); {fix}")
        bank = config["bank"]
    loaded = bank if isinstance(bank, Bank) else load_bank(bank)
    expected = config.get("bank_hash") or manifest.get("bank_hash")
    if expected and expected != loaded.hash:
        raise GapevalError(f"the bank at {str(loaded.root)!r} has hash {loaded.hash}, but the run in {where} was "
                           f"answered on {expected}; {fix}")
    return loaded


def validate_bank(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[str]:
    """Every problem of a bank, one ``file:line: ...`` sentence each (an empty list: none).

    Checks all that :func:`load_bank` checks, on every line rather than up to the first problem,
    and what a run would otherwise meet item by item: every image is decoded fully (a truncated PNG
    is found here) and every number of every record must be finite (``NaN``, ``1e400``).

    Examples
    --------
    >>> validate_bank("builtin")
    []
    """
    problems: list[str] = []
    try:
        file = _bank_file(path)
    except BankError as error:
        return [str(error)]
    _scan(file, max_pixels=max_pixels, check_images=True, strict=True, problems=problems)
    return problems


def bank_hash(path: str | Path) -> str:
    """Provenance hash of a bank: sha256 of ``bank.jsonl`` and each referenced image (sorted by path).

    Examples
    --------
    >>> bank_hash("builtin") == load_bank("builtin").hash
    True
    """
    return load_bank(path, check_images=False).hash


def record_image_paths(record: Item | Dialogue) -> list[str]:
    """Relative paths of every image file a record references, in order of appearance."""
    paths: list[str] = []
    steps: Iterable[Any] = record.turns if isinstance(record, Dialogue) else (record,)
    for step in steps:
        paths.extend(part.path for part in step.prompt if isinstance(part, BankImage))
        if step.reference is not None:
            paths.append(step.reference)
    return paths


def dump_record(record: Item | Dialogue) -> str:
    """One JSON line for ``record`` (field order fixed by the schema, so output is reproducible)."""
    return json.dumps(record.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def write_bank(
    root: str | Path, records: Iterable[Item | Dialogue], *, images: Mapping[str, bytes] | None = None
) -> Path:
    """Write ``records`` to ``root/bank.jsonl`` and each ``images`` entry (relative path -> bytes).

    Returns the path of ``bank.jsonl``. The output is not validated: load it with :func:`load_bank`.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for relative, data in sorted((images or {}).items()):
        target = resolve_image_path(root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    file = root / BANK_FILE
    file.write_text("".join(dump_record(r) + "\n" for r in records), encoding="utf-8")
    return file


def _parse_lines(file: Path) -> Iterable[tuple[int, Item | Dialogue | BankError]]:
    """Each non-blank line's record, or the :class:`BankError` that says why it is not one."""
    with file.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            where = f"{file}:{lineno}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield lineno, BankError(
                    f"{where}: not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1}); "
                    "save the file as UTF-8"
                )
                continue
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                yield lineno, BankError(
                    f"{where}: malformed JSON ({error.msg} at column {error.colno}); each line must be one JSON object"
                )
                continue
            except RecursionError:
                yield lineno, BankError(f"{where}: the JSON is nested too deeply to read; flatten the record")
                continue
            try:
                yield lineno, RECORD_ADAPTER.validate_python(data)
            except ValidationError as error:
                yield lineno, BankError(f"{where}: {describe_validation_error(error)}")
            except RecursionError:
                yield lineno, BankError(f"{where}: the record is nested too deeply to check; flatten it")


def describe_validation_error(error: ValidationError) -> str:
    """The first three problems of a validation error, each with its field path (one line)."""
    messages = []
    for problem in error.errors()[:3]:
        location = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "extra_forbidden":
            messages.append(f"unknown field {location!r}; remove it (see `gapeval bank schema`)")
        else:
            messages.append(f"{location or 'record'}: {problem['msg']}")
    more = f" (and {error.error_count() - 3} more)" if error.error_count() > 3 else ""
    return "; ".join(messages) + more


def _digest(file: Path, root: Path, images: Iterable[str]) -> str:
    sha = hashlib.sha256()
    for name, full in [(file.name, file)] + [(p, root / p) for p in sorted(images)]:
        data = full.read_bytes() if full.is_file() else b""
        sha.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256:" + sha.hexdigest()
