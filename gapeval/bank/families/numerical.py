"""Numerical perception: counting by colour and shape, comparing counts, count arithmetic."""

from __future__ import annotations

import numpy as np

from gapeval.bank.families.base import PairDraft, mcq, pick_kinds, plural, scene, scene_points
from gapeval.bank.schema import NumberAnswer

CATEGORY = "numerical_perception"
_GEN_TAIL = " Draw flat, separate shapes on a plain white background and nothing else."


def _constraints(counts: dict[tuple[str, str], int]) -> list[list[object]]:
    rules: list[list[object]] = [[f"{c} {s}", "==", n] for (c, s), n in counts.items()]
    return rules + [["object", "==", sum(counts.values())]]


def _listing(counts: dict[tuple[str, str], int]) -> str:
    parts = [f"{n} {c} {plural(s, n)}" for (c, s), n in counts.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def count(rng: np.random.Generator, difficulty: int) -> PairDraft:
    """How many objects of one colour and shape, among distractors that share colour or shape."""
    target_range = {1: (1, 4), 2: (2, 6), 3: (3, 8), 4: (4, 10), 5: (5, 12)}[difficulty]
    n_distractor_kinds = difficulty - 1
    kinds = pick_kinds(rng, 1 + n_distractor_kinds, similar=difficulty >= 4)
    target = kinds[0]
    counts = {target: int(rng.integers(target_range[0], target_range[1] + 1))}
    for kind in kinds[1:]:
        counts[kind] = int(rng.integers(1, 2 + difficulty))
    image, layout = scene(rng, counts)
    wrong_counts = dict(counts) | {target: counts[target] - 1}  # one target object too few
    wrong, _ = scene(rng, {k: v for k, v in wrong_counts.items() if v > 0})
    noun = f"{target[0]} {plural(target[1])}"
    return PairDraft(
        category=CATEGORY,
        subtask="count",
        difficulty=difficulty,
        params={"counts": _counts_json(counts), "target": list(target), "layout": layout},
        und_text=f"How many {noun} are in the image? Answer with a number.",
        und_images=(image,),
        und_answer=NumberAnswer(value=counts[target]),
        gen_text=f"Draw exactly {_listing(counts)}." + _GEN_TAIL,
        gen_images=(),
        gen_verifier="scene",
        gen_params={"constraints": _constraints(counts)},
        gen_points=scene_points(counts),
        reference=image,
        wrong=wrong,
    )


def compare(rng: np.random.Generator, difficulty: int) -> PairDraft:
    """Which of two kinds of object is more numerous (or are they equal)."""
    a_kind, b_kind, *others = pick_kinds(rng, 2 + max(0, difficulty - 2), similar=difficulty >= 3)
    gap = {1: 3, 2: 2, 3: 2, 4: 1, 5: 1}[difficulty]
    outcome = int(rng.integers(3))  # 0: more A, 1: more B, 2: equal
    base = int(rng.integers(1, 3 + difficulty))
    n_a, n_b = {0: (base + gap, base), 1: (base, base + gap), 2: (base, base)}[outcome]
    counts = {a_kind: n_a, b_kind: n_b} | {kind: int(rng.integers(1, 3)) for kind in others}
    image, layout = scene(rng, counts)
    a, b = f"{a_kind[0]} {a_kind[1]}", f"{b_kind[0]} {b_kind[1]}"
    text, answer = mcq(
        f"Are there more {plural(a)} or more {plural(b)} in the image?",
        [f"more {plural(a)}", f"more {plural(b)}", "the same number of each"],
        outcome,
    )
    relation = {0: ">", 1: "<", 2: "=="}[outcome]
    wording = {0: f"more {plural(a)} than {plural(b)}", 1: f"fewer {plural(a)} than {plural(b)}",
               2: f"as many {plural(a)} as {plural(b)}"}[outcome]
    wrong_counts = dict(counts) | ({a_kind: n_b, b_kind: n_a} if outcome != 2 else {a_kind: n_a + 1})
    wrong, _ = scene(rng, wrong_counts)
    return PairDraft(
        category=CATEGORY,
        subtask="compare",
        difficulty=difficulty,
        params={"counts": _counts_json(counts), "a": a, "b": b, "outcome": ["a", "b", "equal"][outcome], "layout": layout},
        und_text=text,
        und_images=(image,),
        und_answer=answer,
        gen_text=f"Draw some {plural(a)} and some {plural(b)}, at least one of each, with {wording}."
        + " Draw flat, separate shapes on a plain white background.",
        gen_images=(),
        gen_verifier="scene",
        gen_params={"constraints": [[a, relation, b], [a, ">=", 1], [b, ">=", 1]]},
        gen_points=(f"at least one {a} and one {b}", wording, "flat shapes on a plain white background"),
        reference=image,
        wrong=wrong,
    )


def arithmetic(rng: np.random.Generator, difficulty: int) -> PairDraft:
    """Sums and differences of counts: what remains after removing a colour, how many more A than B."""
    kinds = pick_kinds(rng, 2 + (difficulty >= 3) + (difficulty >= 5), similar=difficulty >= 4)
    top = 2 + difficulty
    counts = {kind: int(rng.integers(1, top + 1)) for kind in kinds}
    a_kind, b_kind = kinds[0], kinds[1]
    if counts[a_kind] == counts[b_kind]:
        counts[a_kind] += 1
    image, layout = scene(rng, counts)
    total = sum(counts.values())
    a, b = f"{a_kind[0]} {a_kind[1]}", f"{b_kind[0]} {b_kind[1]}"
    if rng.random() < 0.5:
        question = f"If every {a} were removed, how many objects would be left in the image? Answer with a number."
        value = total - counts[a_kind]
        form = "remove"
    else:
        question = f"How many more {plural(a)} than {plural(b)} are there? Answer with a number (negative if fewer)."
        value = counts[a_kind] - counts[b_kind]
        form = "difference"
    difference = counts[a_kind] - counts[b_kind]
    others = {k: v for k, v in counts.items() if k not in (a_kind, b_kind)}
    extra = f", plus {_listing(others)}" if others else ""
    more = f"{abs(difference)} {'more' if difference > 0 else 'fewer'} {plural(a)} than {plural(b)}"
    wrong, _ = scene(rng, dict(counts) | {a_kind: counts[a_kind] + 1})
    return PairDraft(
        category=CATEGORY,
        subtask="arithmetic",
        difficulty=difficulty,
        params={"counts": _counts_json(counts), "form": form, "a": a, "b": b, "layout": layout},
        und_text=question,
        und_images=(image,),
        und_answer=NumberAnswer(value=value),
        gen_text=f"Draw {plural(a)} and {plural(b)}{extra}: {total} shapes in total, with {more}."
        + _GEN_TAIL,
        gen_images=(),
        gen_verifier="scene",
        gen_params={"constraints": _constraints(counts)},
        gen_points=scene_points(counts) + (f"{total} shapes in total",),
        reference=image,
        wrong=wrong,
    )


def _counts_json(counts: dict[tuple[str, str], int]) -> dict[str, int]:
    return {f"{c} {s}": n for (c, s), n in counts.items()}
