"""Importers for the anchors' released formats: GapEval folders, IMUG-Bench JSONL, RealUnify JSON.

Each importer reads a source folder laid out as its authors release it and returns an
:class:`ImportedBank`: the records (image paths relative to the source folder), what the format
loses on the way in (``lost``), what was skipped and why (``skipped``) and counts of what was read
(:meth:`ImportedBank.counts`). :func:`save_imported` copies the images and writes a loadable bank.
Every problem with the source is a :class:`~gapeval.bank.io.BankError` naming the file, the line
or entry, and the field. The layouts, keys and mappings are documented in ``docs/bank.md``.

Examples
--------
>>> sorted(IMPORTERS)
['gapeval', 'imug', 'realunify']
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gapeval.bank.io import record_image_paths, resolve_image_path, write_bank
from gapeval.bank.schema import Dialogue, Item

__all__ = [
    "IMPORTERS",
    "ImportedBank",
    "Note",
    "import_gapeval",
    "import_imug",
    "import_realunify",
    "save_imported",
]

_DYNAMIC_KINDS = ("judged_mcq", "dynamic_mcq", "dynamic_grid")


@dataclass(frozen=True)
class Note:
    """A source record that was skipped, or imported with a caveat, and why."""

    where: str
    """The file, and the line or entry."""
    reason: str
    """What was wrong and what the importer did."""


@dataclass(frozen=True)
class ImportedBank:
    """Records read from a foreign format; image paths are relative to ``root``."""

    root: Path
    """The source folder the records' image paths are relative to."""
    records: tuple[Item | Dialogue, ...]
    """Items and dialogues, in source order."""
    lost: tuple[str, ...]
    """What the format carries that the bank does not."""
    skipped: tuple[Note, ...] = ()
    """Source records left out, and why."""
    caveats: tuple[Note, ...] = ()
    """Records imported with a caveat (how the anchor's own scripts would treat them differently)."""
    extra: tuple[tuple[str, int], ...] = ()
    """Format-specific counts (e.g. distinct IMUG-Bench sample ids), in report order."""

    def counts(self) -> dict[str, int]:
        """What was read: items (and pairs, by direction), dialogues, turns, dynamic turns, images.

        ``images`` counts distinct image files (prompt images and references); ``verified turns``
        counts dialogue turns scored by a programmatic verifier (IMUG-Bench's cube grids).
        """
        items = [r for r in self.records if isinstance(r, Item)]
        dialogues = [r for r in self.records if isinstance(r, Dialogue)]
        turns = [turn for dialogue in dialogues for turn in dialogue.turns]
        directions = Counter(step.direction for step in [*items, *turns])
        images = {path for record in self.records for path in record_image_paths(record)}
        counts = {
            "items": len(items),
            "pairs": len({item.pair for item in items if item.pair is not None}),
            "dialogues": len(dialogues),
            "turns": len(turns),
            "understanding": directions["understanding"],
            "generation": directions["generation"],
            "dynamic turns": sum(turn.answer.kind in _DYNAMIC_KINDS for turn in turns),
            "verified turns": sum(turn.answer.kind == "verifier" for turn in turns),
            "images": len(images),
            "skipped": len(self.skipped),
        }
        counts.update(self.extra)
        return counts

    def report(self) -> str:
        """The counts, the skipped records and the losses, one per line (what the CLI prints)."""
        counts = ", ".join(f"{value} {name}" for name, value in self.counts().items())
        lines = [f"read {counts}"]
        lines += [f"  skipped {entry.where}: {entry.reason}" for entry in self.skipped]
        lines += [f"  note {entry.where}: {entry.reason}" for entry in self.caveats]
        lines += [f"  lost: {note}" for note in self.lost]
        return "\n".join(lines)


def save_imported(imported: ImportedBank, folder: str | Path) -> Path:
    """Copy every referenced image under ``folder`` (same relative paths) and write ``bank.jsonl``."""
    folder = Path(folder)
    for record in imported.records:
        for relative in record_image_paths(record):
            target = resolve_image_path(folder, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(resolve_image_path(imported.root, relative), target)
    return write_bank(folder, imported.records)


def import_gapeval(folder: str | Path) -> ImportedBank:
    """GapEval's ``data_<id>/`` folders (see :mod:`gapeval.bank.importers.gapeval_folders`)."""
    from gapeval.bank.importers.gapeval_folders import import_gapeval_folders

    return import_gapeval_folders(folder)


def import_imug(folder: str | Path) -> ImportedBank:
    """IMUG-Bench's ``data/`` (see :mod:`gapeval.bank.importers.imug`)."""
    from gapeval.bank.importers.imug import import_imug_data

    return import_imug_data(folder)


def import_realunify(folder: str | Path) -> ImportedBank:
    """RealUnify's ``UEG_*`` / ``GEU_*`` files (see :mod:`gapeval.bank.importers.realunify`)."""
    from gapeval.bank.importers.realunify import import_realunify_files

    return import_realunify_files(folder)


#: Format name -> importer, as used by ``gapeval bank import FORMAT SOURCE OUT``.
IMPORTERS: dict[str, Callable[[str | Path], ImportedBank]] = {
    "gapeval": import_gapeval,
    "imug": import_imug,
    "realunify": import_realunify,
}
