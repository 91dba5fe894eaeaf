"""``gapeval bank``: build, validate, show, import banks and print the bank JSON schema."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``bank build|validate|show|schema|import`` to the ``gapeval`` command line."""
    bank = subparsers.add_parser("bank", help="build, validate, inspect and import item banks")
    commands = bank.add_subparsers(dest="bank_command", required=True, metavar="BANK_COMMAND")

    build = commands.add_parser("build", help="regenerate the built-in bank from its seed")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: the packaged built-in bank)")
    build.add_argument("--seed", type=int, default=None, help="builder seed (default: the shipped seed)")
    build.set_defaults(handler=_build)

    validate = commands.add_parser(
        "validate", help="check every record and every image (decoded fully) of a bank; print its hash"
    )
    validate.add_argument("path", help="bank folder, its bank.jsonl, or 'builtin'")
    validate.add_argument("--max-pixels", type=int, default=None, help="largest image allowed, in pixels")
    validate.set_defaults(handler=_validate)

    show = commands.add_parser("show", help="counts per category, direction and difficulty; optional contact sheet")
    show.add_argument("path", help="bank folder, its bank.jsonl, or 'builtin'")
    show.add_argument("--sheet", type=Path, default=None, help="write a contact sheet PNG of sample items here")
    show.add_argument("--per-category", type=int, default=6, help="items per category on the contact sheet")
    show.add_argument("--seed", type=int, default=0, help="seed choosing the contact-sheet items")
    show.set_defaults(handler=_show)

    schema = commands.add_parser("schema", help="print the JSON schema of one bank.jsonl line")
    schema.add_argument("--out", type=Path, default=None, help="write the schema to this file instead")
    schema.set_defaults(handler=_schema)

    convert = commands.add_parser("import", help="convert a GapEval, IMUG-Bench or RealUnify folder to a bank")
    convert.add_argument("format", choices=["gapeval", "imug", "realunify"])
    convert.add_argument("source", type=Path, help="folder in that format")
    convert.add_argument("out", type=Path, help="output bank folder")
    convert.set_defaults(handler=_import)


def _build(args: argparse.Namespace) -> int:
    from gapeval.bank.builder import DEFAULT_SEED, build_bank
    from gapeval.bank.io import bank_hash, builtin_path

    from gapeval.files import output_folder

    out = output_folder(args.out, what="bank folder") if args.out else builtin_path()
    file = build_bank(out, seed=DEFAULT_SEED if args.seed is None else args.seed)
    print(f"wrote {file} ({bank_hash(out)})")
    return 0


def _validate(args: argparse.Namespace) -> int:
    import sys

    from gapeval.bank.io import DEFAULT_MAX_PIXELS, BankError, load_bank, validate_bank

    max_pixels = args.max_pixels or DEFAULT_MAX_PIXELS
    problems = validate_bank(args.path, max_pixels=max_pixels)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        first = problems[0] if len(problems) == 1 else f"{len(problems)} problems, all listed above; the first: {problems[0]}"
        raise BankError(f"{first}; fix {'it' if len(problems) == 1 else 'them'} and validate again")
    bank = load_bank(args.path, max_pixels=max_pixels)
    print(f"ok: {len(bank.items)} items, {len(bank.dialogues)} dialogues, {bank.hash}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from gapeval.bank.io import load_bank

    bank = load_bank(args.path)
    print(summary(bank))
    if args.sheet is not None:
        from gapeval.bank.sheet import contact_sheet

        contact_sheet(bank, per_category=args.per_category, seed=args.seed).save(args.sheet)
        print(f"wrote {args.sheet}")
    return 0


def summary(bank: Any) -> str:
    """Text table of item counts per category and direction, difficulty levels and dialogues."""
    by_direction = Counter((item.category, item.direction) for item in bank.items)
    by_difficulty = Counter((item.category, item.difficulty) for item in bank.items)
    categories = sorted({item.category for item in bank.items})
    levels = sorted({item.difficulty for item in bank.items}, key=lambda d: (d is None, d))
    header = f"{'category':<24}{'und':>6}{'gen':>6}" + "".join(f"{'d' + str(d):>6}" for d in levels)
    lines = [f"bank {bank.root} ({bank.hash})", header]
    for category in categories:
        lines.append(
            f"{category:<24}{by_direction[(category, 'understanding')]:>6}{by_direction[(category, 'generation')]:>6}"
            + "".join(f"{by_difficulty[(category, d)]:>6}" for d in levels)
        )
    pairs = len({item.pair for item in bank.items if item.pair})
    turns = sum(len(d.turns) for d in bank.dialogues)
    histories = Counter(d.history for d in bank.dialogues)
    lines.append(f"{len(bank.items)} items, {pairs} pairs; {len(bank.dialogues)} dialogues "
                 f"({histories['model']} model history, {histories['gold']} gold history), {turns} turns")
    return "\n".join(lines)


def _schema(args: argparse.Namespace) -> int:
    from gapeval.bank.schema import bank_json_schema

    text = json.dumps(bank_json_schema(), indent=2)
    if args.out is None:
        print(text)
    else:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


def _import(args: argparse.Namespace) -> int:
    from gapeval.bank.importers import IMPORTERS, save_imported
    from gapeval.bank.io import load_bank

    imported = IMPORTERS[args.format](args.source)
    save_imported(imported, args.out)
    bank = load_bank(args.out)
    print(imported.report())
    print(f"imported {len(bank.items)} items and {len(bank.dialogues)} dialogues into {args.out} ({bank.hash})")
    return 0
