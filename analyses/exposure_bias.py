"""IMUG-Bench-style exposure-bias analysis: raw per-turn means vs mixed model vs explanatory IRT.

What is reproduced
------------------
IMUG-Bench's central finding — generation degrades over the turns of an interleaved dialogue while
understanding holds — rests on plain per-turn mean scores. Those means compare *different items* at
different turns. This script shows, on data with a known answer, what that does and how gapeval's
models correct it. ``gapeval.decay.simulate_confounded`` draws dialogues whose later turns hold
harder items (``--difficulty-trend`` logits per turn); some models do not decay at all, others have
a known decay λ per turn (logits) — by default:

==========  ===============  ===============
model       understanding    generation
==========  ===============  ===============
model_0     0                0
model_1     0                0
model_2     0                −0.4
model_3     −0.3             −0.3
==========  ===============  ===============

(with more models the pattern repeats). Every item is also answered once outside a dialogue, which
pins its difficulty down. Per model and direction, three estimates of the change per turn:

1. **raw** — the slope of an OLS regression of score on turn over the dialogue answers (what a table
   of per-turn means shows), in score units (probability) per turn, with a naive OLS interval;
2. **mixed** — ``gapeval.decay.decay``: the logistic mixed model score ~ turn × direction with random
   model intercepts and turn slopes and dialogue intercepts; per-model slopes (fixed + BLUP) in
   logits per turn. It has no item terms, so it inherits the confounding;
3. **IRT** — ``gapeval.decay.irt_decay``: the explanatory 2-D 2PL with a turn slope λ per model and
   direction, item difficulty held fixed, in logits per turn for an item of average slope;

beside the true λ. ``--responses`` adds the same analysis of a run folder or long table (no truth).

How to read the output
----------------------
- For the models that do not decay (true λ = 0) the raw and mixed slopes are negative — spurious
  decay, the rising item difficulty — while the IRT λ is near 0 with an interval covering 0.
- For the decaying models the IRT λ recovers the true value; the raw and mixed slopes overstate it.
- Units differ: raw slopes are in score (probability) per turn, the other two in logits per turn;
  compare signs and intervals across methods, magnitudes only between mixed, IRT and the truth.
- ``--inference svi`` (default) gives approximate IRT intervals (typically too narrow);
  ``--inference nuts`` samples the exact posterior (minutes) — use it for numbers you publish.

Files written into ``--out``: ``exposure_bias.{md,tex,csv}`` (the estimates side by side),
``turn_means.{md,tex}`` (the pooled raw per-turn means that look like decay) and
``decay_curves.png`` (per-turn means with bands and the mixed model's fitted slopes); with
``--responses`` the same files with the prefix ``responses_``.

Run ``python analyses/exposure_bias.py --out out/exposure_bias`` or, in CI, with ``--quick``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "compare_estimates",
    "decay_pattern",
    "dialogue_rows",
    "irt_slopes",
    "main",
    "make_tables",
    "mixed_slopes",
    "raw_slopes",
    "simulate",
    "turn_means_table",
    "write_outputs",
]

#: Decay λ per turn (understanding, generation) of models 0..3; further models repeat the pattern.
DECAY_PATTERN: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.0, 0.0), (0.0, -0.4), (-0.3, -0.3))

_ESTIMATE_COLUMNS = ["estimate", "lower", "upper"]


def decay_pattern(num_models: int) -> np.ndarray:
    """The true λ of each model: a ``(num_models, 2)`` array (understanding, generation).

    Examples
    --------
    >>> decay_pattern(5).tolist()
    [[0.0, 0.0], [0.0, 0.0], [0.0, -0.4], [-0.3, -0.3], [0.0, 0.0]]
    """
    return np.array([DECAY_PATTERN[m % len(DECAY_PATTERN)] for m in range(num_models)])


def simulate(*, num_models: int = 8, num_sessions: int = 12, num_turns: int = 6, difficulty_trend: float = 0.5,
             seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Confounded dialogues (later turns hold harder items) with the decay of :func:`decay_pattern`.

    Returns
    -------
    (DataFrame, DataFrame)
        The long responses table of :func:`gapeval.decay.simulate_confounded` and the true decay
        (``model``, ``direction``, ``lambda``).
    """
    from gapeval.decay import simulate_confounded

    responses, truth = simulate_confounded(num_models=num_models, num_sessions=num_sessions, num_turns=num_turns,
                                           difficulty_trend=difficulty_trend, decay=decay_pattern(num_models),
                                           seed=seed)
    return responses, truth.decay


def dialogue_rows(responses: pd.DataFrame) -> pd.DataFrame:
    """Answers given inside a dialogue (a turn is set), with integer turns."""
    rows = responses[responses["turn"].notna()]
    if "session" in rows.columns:
        rows = rows[rows["session"].notna()]
    return rows.assign(turn=rows["turn"].astype(int)).reset_index(drop=True)


def raw_slopes(responses: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """OLS slope of score on turn per model and direction, over the dialogue answers.

    The interval is the textbook OLS one (answers independent): it is what a table of per-turn means
    implies, not a valid test for answers clustered in dialogues.

    Examples
    --------
    >>> frame = pd.DataFrame({"model": "m", "direction": "generation", "turn": [1, 1, 2, 2, 3, 3],
    ...                       "score": [1, 1, 1, 0, 0, 0]})
    >>> raw_slopes(frame)[["model", "direction", "estimate"]].to_dict("records")
    [{'model': 'm', 'direction': 'generation', 'estimate': -0.5}]
    """
    rows = []
    for (model, direction), group in dialogue_rows(responses).groupby(["model", "direction"], sort=True):
        x, y = group["turn"].to_numpy(float), group["score"].to_numpy(float)
        sxx = float(((x - x.mean()) ** 2).sum())
        slope = float(((x - x.mean()) * (y - y.mean())).sum() / sxx) if sxx > 0 else math.nan
        dof = len(x) - 2
        residual = y - y.mean() - slope * (x - x.mean())
        se = math.sqrt(float((residual ** 2).sum()) / dof / sxx) if dof > 0 and sxx > 0 else math.nan
        half = float(stats.t.ppf(0.5 + level / 2, dof)) * se if dof > 0 else math.nan
        rows.append({"model": model, "direction": direction, "estimate": slope, "sd": se,
                     "lower": slope - half, "upper": slope + half, "n": len(x)})
    return pd.DataFrame(rows)


def mixed_slopes(responses: pd.DataFrame, *, seed: int = 0, level: float = 0.95) -> tuple[Any, pd.DataFrame]:
    """``gapeval.decay.decay`` on the dialogue answers; per-model slopes as ``estimate, lower, upper``."""
    from gapeval.decay import decay

    result = decay(dialogue_rows(responses), seed=seed, level=level)
    slopes = result.slopes_frame()
    return result, slopes[["model", "direction", "estimate", "sd", "lower", "upper", "test"]]


def irt_slopes(responses: pd.DataFrame, *, inference: str = "svi", seed: int = 0, level: float = 0.95,
               num_steps: int = 3000, num_samples: int = 500) -> tuple[Any, pd.DataFrame]:
    """``gapeval.decay.irt_decay`` on every answer (standalone ones anchor the item difficulties)."""
    from gapeval.decay import irt_decay

    options: dict[str, Any] = {"num_steps": num_steps} if inference == "svi" else {}
    result = irt_decay(responses, inference=inference, seed=seed, level=level, num_samples=num_samples, **options)
    return result, result.decay.copy()


def compare_estimates(raw: pd.DataFrame, mixed: pd.DataFrame, irt: pd.DataFrame,
                      truth: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per model and direction: the three estimates with intervals, and the true λ.

    Columns: ``model``, ``direction``, ``true_lambda`` (NaN without truth), ``raw``, ``raw_lower``,
    ``raw_upper``, ``mixed``, ``mixed_lower``, ``mixed_upper``, ``irt``, ``irt_lower``, ``irt_upper``,
    ``irt_p_negative`` and ``irt_covers_truth``.
    """
    frame = irt[["model", "direction"]].copy()
    for name, table in (("raw", raw), ("mixed", mixed), ("irt", irt)):
        part = table[["model", "direction", *_ESTIMATE_COLUMNS]].rename(
            columns={"estimate": name, "lower": f"{name}_lower", "upper": f"{name}_upper"})
        frame = frame.merge(part, on=["model", "direction"], how="left")
    frame["irt_p_negative"] = irt["p_negative"].to_numpy()
    if truth is not None:
        frame = frame.merge(truth.rename(columns={"lambda": "true_lambda"}), on=["model", "direction"], how="left")
    else:
        frame["true_lambda"] = math.nan
    covers = (frame["irt_lower"] <= frame["true_lambda"]) & (frame["true_lambda"] <= frame["irt_upper"])
    frame["irt_covers_truth"] = covers.astype(object).where(frame["true_lambda"].notna(), None)
    ordered = ["model", "direction", "true_lambda", "raw", "raw_lower", "raw_upper", "mixed", "mixed_lower",
               "mixed_upper", "irt", "irt_lower", "irt_upper", "irt_p_negative", "irt_covers_truth"]
    return frame[ordered].sort_values(["model", "direction"], ignore_index=True)


def _interval(frame: pd.DataFrame, name: str) -> list[tuple[float, float] | None]:
    return [None if (math.isnan(lo) or math.isnan(hi)) else (lo, hi)
            for lo, hi in zip(frame[f"{name}_lower"], frame[f"{name}_upper"])]


def make_tables(comparison: pd.DataFrame, *, mixed_result: Any, irt_result: Any, level: float = 0.95,
                caption: str = "Decay per turn: raw means, mixed model and explanatory IRT",
                label: str = "tab:exposure-bias") -> Any:
    """A :class:`gapeval.tables.Table` of :func:`compare_estimates` with the methods in its notes."""
    from gapeval.tables import table_from_frame

    shown = pd.DataFrame({
        "model": comparison["model"], "direction": comparison["direction"], "true": comparison["true_lambda"],
        "raw": comparison["raw"], "raw_ci": _interval(comparison, "raw"),
        "mixed": comparison["mixed"], "mixed_ci": _interval(comparison, "mixed"),
        "irt": comparison["irt"], "irt_ci": _interval(comparison, "irt"),
        "p_negative": comparison["irt_p_negative"],
    })
    mixed_test = mixed_result.slopes[0].test.name if mixed_result.slopes else "posterior probability"
    irt_interval = "approximate (SVI) credible interval" if irt_result.approximate else "credible interval (NUTS)"
    notes = [
        "True: the simulated decay λ per turn (logits; empty for real data).",
        f"Raw: OLS slope of score on turn over the dialogue answers (score per turn), {level:.0%} OLS interval "
        "treating answers as independent — what a table of per-turn means shows.",
        f"Mixed: gapeval.decay.decay, per-model slope (fixed effect + BLUP, logits per turn for 0/1 scores), "
        f"{level:.0%} interval from {mixed_test}; no item terms.",
        f"IRT: gapeval.decay.irt_decay, λ (logits per turn, item difficulty held fixed), {level:.0%} "
        f"{irt_interval}; P(λ < 0): posterior probability that the model decays.",
    ]
    labels = {"model": "Model", "direction": "Direction", "true": "True λ", "raw": "Raw", "raw_ci": "Raw CI",
              "mixed": "Mixed", "mixed_ci": "Mixed CI", "irt": "IRT λ", "irt_ci": "IRT interval",
              "p_negative": "P(λ < 0)"}
    kinds = {"raw_ci": "interval", "mixed_ci": "interval", "irt_ci": "interval", "true": "number"}
    return table_from_frame(shown, caption=caption, label=label, kinds=kinds, labels=labels, notes=notes,
                            tests=(mixed_test,) if mixed_test else ())


def turn_means_table(responses: pd.DataFrame, *, caption: str = "Raw mean score by turn (all models)",
                     label: str = "tab:turn-means") -> Any:
    """Pooled raw mean score per turn and direction: the numbers that look like decay."""
    from gapeval.tables import table_from_frame

    means = dialogue_rows(responses).pivot_table(index="turn", columns="direction", values="score",
                                                 aggfunc="mean").reset_index()
    means.columns = [str(c) for c in means.columns]
    return table_from_frame(means, caption=caption, label=label,
                            notes=["Mean of the 0/1 (or fractional) scores of the dialogue answers at each "
                                   "turn, over models and dialogues; different turns hold different items."])


def write_outputs(out: str | Path, comparison: pd.DataFrame, table: Any, means: Any, figure: Any,
                  *, prefix: str = "") -> list[Path]:
    """Write the comparison (md, tex, csv), the turn-means table (md, tex) and the decay-curves PNG."""
    from gapeval.figures import save_figure
    from gapeval.tables import to_latex, to_markdown

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, item in ((f"{prefix}exposure_bias", table), (f"{prefix}turn_means", means)):
        for suffix, render in ((".md", to_markdown), (".tex", to_latex)):
            path = folder / f"{stem}{suffix}"
            path.write_text(render(item) + "\n", encoding="utf-8")
            paths.append(path)
    comparison.to_csv(folder / f"{prefix}exposure_bias.csv", index=False)
    paths.append(folder / f"{prefix}exposure_bias.csv")
    paths.append(save_figure(figure, folder / f"{prefix}decay_curves.png"))
    return paths


def analyse(responses: pd.DataFrame, truth: pd.DataFrame | None, *, inference: str, seed: int, level: float,
            num_steps: int, num_samples: int) -> dict[str, Any]:
    """All three estimates, the comparison, its tables and the figure for one long table."""
    from gapeval.figures import decay_curves

    mixed_result, mixed = mixed_slopes(responses, seed=seed, level=level)
    irt_result, irt = irt_slopes(responses, inference=inference, seed=seed, level=level, num_steps=num_steps,
                                 num_samples=num_samples)
    comparison = compare_estimates(raw_slopes(responses, level=level), mixed, irt, truth)
    return {
        "comparison": comparison,
        "table": make_tables(comparison, mixed_result=mixed_result, irt_result=irt_result, level=level),
        "means": turn_means_table(responses),
        "figure": decay_curves(dialogue_rows(responses), result=mixed_result, level=level),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="simulation and fit seed (default 0)")
    parser.add_argument("--quick", action="store_true",
                        help="CI mode: 4 models, 20 dialogues of 6 turns, 300 draws")
    parser.add_argument("--responses", type=Path,
                        help="also analyse a run folder or long table (.csv/.parquet) with dialogue turns")
    parser.add_argument("--inference", choices=("svi", "nuts"), default="svi",
                        help="explanatory IRT fit: svi (fast, approximate intervals; default) or nuts (exact)")
    parser.add_argument("--difficulty-trend", type=float, default=0.5, dest="difficulty_trend",
                        help="how much harder (logits) each later turn's item is (default 0.5)")
    parser.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: simulate (and load), estimate three ways, write and print the tables."""
    from gapeval.tables import to_markdown

    args = _parser().parse_args(argv)
    sizes = dict(num_models=4, num_sessions=20, num_turns=6) if args.quick else {}
    fit = dict(inference=args.inference, seed=args.seed, level=args.level,
               num_steps=3000, num_samples=300 if args.quick else 500)
    responses, truth = simulate(difficulty_trend=args.difficulty_trend, seed=args.seed, **sizes)
    sources = [("", responses, truth)]
    if args.responses is not None:
        from gapeval.report import load_responses

        sources.append(("responses_", load_responses(args.responses)[0], None))
    for prefix, data, known in sources:
        parts = analyse(data, known, **fit)
        paths = write_outputs(args.out, parts["comparison"], parts["table"], parts["means"], parts["figure"],
                              prefix=prefix)
        print(to_markdown(parts["means"]) + "\n")
        print(to_markdown(parts["table"]))
        print("\nwrote " + ", ".join(str(p) for p in paths) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
