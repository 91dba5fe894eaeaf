"""Seeded builder of the built-in bank: ``build_bank(folder, seed=...)`` writes it byte for byte.

Run ``gapeval bank build`` (or ``python -m gapeval.bank.builder``) to regenerate the shipped copy
in ``gapeval/data/bank/builtin``. The same seed and library versions give the same bytes, which
the tests check through :func:`gapeval.bank.io.bank_hash`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from gapeval.bank.dialogues import build_dialogues
from gapeval.bank.families import instruction, numerical, reasoning, world
from gapeval.bank.families.base import PairDraft
from gapeval.bank.io import write_bank
from gapeval.bank.schema import BankImage, Item, BankText, VerifierAnswer
from gapeval.scenes.render import png_bytes

DEFAULT_SEED = 20260101
BANK_VERSION = "1.0.0"
SOURCE, LICENCE = "gapeval-builtin", "Apache-2.0"


def _levels(n: int) -> Iterator[int]:
    """Difficulties 1..5 in turn, ``n`` of them."""
    return (1 + i % 5 for i in range(n))


def _clock_times() -> list[tuple[int, int, int]]:
    times = [(1, h, 0) for h in range(1, 13)] + [(2, h, 30) for h in range(1, 13)]
    times += [(3, h, m) for h in range(1, 13) for m in (15, 45)]
    times += [(4, 1 + (k * 5) % 12, m) for k, m in enumerate([5, 10, 20, 25, 35, 40, 50, 55] * 4)][:30]
    times += [(5, 1 + (k * 7) % 12, m) for k, m in enumerate([3, 8, 12, 17, 22, 28, 33, 38, 43, 47, 52, 58] * 3)][:30]
    return times


def _jobs() -> list[tuple[str, Callable[[np.random.Generator], PairDraft]]]:
    """(subtask, generator) for every pair, in bank order (160 per category)."""
    jobs: list[tuple[str, Callable[[np.random.Generator], PairDraft]]] = []
    for op in instruction.OPS:
        jobs += [(op, lambda rng, d=d, op=op: instruction.edit(rng, d, op=op)) for d in _levels(32)]
    jobs += [("count", lambda rng, d=d: numerical.count(rng, d)) for d in _levels(60)]
    jobs += [("compare", lambda rng, d=d: numerical.compare(rng, d)) for d in _levels(50)]
    jobs += [("arithmetic", lambda rng, d=d: numerical.arithmetic(rng, d)) for d in _levels(50)]
    jobs += [("flag", lambda rng, n=n: world.flag(rng, n)) for n in world.FLAGS]
    jobs += [("colour_mixing", lambda rng, i=i, f=f: world.mix(rng, i, flip=f)) for f in (False, True) for i in range(len(world.MIXES))]
    jobs += [("die", lambda rng, p=p: world.die(rng, p)) for p in range(1, 7)]
    jobs += [("clock", lambda rng, t=t: world.clock(rng, t[0], hour=t[1], minute=t[2])) for t in _clock_times()]
    for name, make in (("spatial_relation", reasoning.spatial), ("sequence", reasoning.sequence),
                       ("symmetry", reasoning.symmetry), ("path", reasoning.path)):
        jobs += [(name, lambda rng, d=d, make=make: make(rng, d)) for d in _levels(40)]
    return jobs


def generate_drafts(seed: int = DEFAULT_SEED) -> list[tuple[str, PairDraft]]:
    """Every pair of the built-in bank as ``(pair_id, draft)``; pair ``k`` of a subtask uses RNG ``[seed, k, ...]``."""
    drafts = []
    counters: dict[str, int] = {}
    for number, (subtask, make) in enumerate(_jobs()):
        counters[subtask] = counters.get(subtask, 0) + 1
        pair_id = f"{subtask}-{counters[subtask]:03d}"
        drafts.append((pair_id, make(np.random.default_rng([seed, number]))))
    return drafts


def draft_records(pair_id: str, draft: PairDraft, *, seed: int) -> tuple[list[Item], dict[str, bytes]]:
    """The understanding and generation items of one pair and their images (path -> PNG bytes)."""
    images: dict[str, bytes] = {}

    def store(name: str, image) -> str:  # noqa: ANN001
        data = png_bytes(image)
        for path, existing in images.items():
            if existing == data:
                return path
        path = f"images/{pair_id}-{name}.png"
        images[path] = data
        return path

    und_paths = [store(f"und{k + 1}", im) for k, im in enumerate(draft.und_images)]
    gen_paths = [store(f"in{k + 1}", im) for k, im in enumerate(draft.gen_images)]
    reference = store("ref", draft.reference)
    params = dict(draft.params, generator=f"{draft.category}/{draft.subtask}", seed=seed)
    common = dict(pair=pair_id, category=draft.category, subtask=draft.subtask, difficulty=draft.difficulty,
                  params=params, source=SOURCE, licence=LICENCE)
    understanding = Item(
        id=f"{pair_id}-und", direction="understanding",
        prompt=tuple(BankImage(path=p) for p in und_paths) + (BankText(text=draft.und_text),),
        answer=draft.und_answer, **common,
    )
    generation = Item(
        id=f"{pair_id}-gen", direction="generation",
        prompt=tuple(BankImage(path=p) for p in gen_paths) + (BankText(text=draft.gen_text),),
        answer=VerifierAnswer(verifier=draft.gen_verifier, params=draft.gen_params, points=draft.gen_points),
        reference=reference, **common,
    )
    return [understanding, generation], images


def build_bank(folder: str | Path, *, seed: int = DEFAULT_SEED) -> Path:
    """Write the built-in bank (items, dialogues, images, ``manifest.json``) into ``folder``.

    Returns the path of ``bank.jsonl``. Existing files of the same names are overwritten, and PNG
    files in ``folder/images`` that the new bank does not use are deleted.
    """
    records: list = []
    images: dict[str, bytes] = {}
    for pair_id, draft in generate_drafts(seed):
        items, item_images = draft_records(pair_id, draft, seed=seed)
        records += items
        images.update(item_images)
    dialogues, dialogue_images = build_dialogues(seed)
    records += dialogues
    images.update(dialogue_images)
    stale = Path(folder) / "images"
    for old in sorted(stale.glob("*.png")) if stale.is_dir() else []:
        if f"images/{old.name}" not in images:
            old.unlink()
    file = write_bank(folder, records, images=images)
    manifest = {"name": SOURCE, "version": BANK_VERSION, "seed": seed, "licence": LICENCE,
                "items": sum(isinstance(r, Item) for r in records), "dialogues": len(dialogues)}
    (Path(folder) / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return file


if __name__ == "__main__":  # pragma: no cover
    from gapeval.bank.io import builtin_path

    print(build_bank(builtin_path()))
