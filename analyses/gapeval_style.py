"""GapEval-style results on gapeval's built-in bank: the legacy GapEval-2026 score beside the joint-IRT gap.

What is reproduced
------------------
The GapEval paper reports, per model, one number for the gap between understanding and generation:
the score of its reference implementation (``gap_score(method="gapeval-2026")``: per-category joint
proportions [p11, p10, p01, p00], a per-model MAP fit, then σ(ln|Δ| + 2.7·p00 − 1.05·p11), averaged
over categories). This script computes that number on our built-in bank — per category and overall,
as the method gives it — and puts next to it the gap gapeval reports instead: the posterior of
θ_U − θ_G from one joint two-dimensional IRT fit of all models (``gap_score``, docs/methods.md §2), with
its interval. For the simulated respondents, whose abilities are known, the true gap is shown too.

The respondents are the demo's (``gapeval.demo.DEMO_MODELS``): the procedural baseline, which
really reads and draws the bank's scenes, and simulated respondents with known θ_U and θ_G. They
answer the bank's standalone items through the public runner (``gapeval.runner.run``) into a run
folder, the answers are scored (``score_run``) and exported (``load_responses``). ``--responses``
takes an existing run folder or long table (.csv / .parquet) instead; true gaps are then read from
the run's manifest (the options of its ``simulated`` respondents), when there is one.

How to read the output
----------------------
- ``legacy`` is the GapEval-2026 score (in (0, 1), unsigned, no interval); ``legacy[<category>]``
  its value per category; ``legacy Δ`` the mean over categories of the signed Δ = θ_U − θ_G that the
  legacy score computes and then throws away (|Δ| enters the score).
- ``gap`` is θ_U − θ_G in logits on the paired scale (positive: understanding is ahead), with its
  interval (``--inference svi``: approximate, typically too narrow; ``nuts``: the exact posterior —
  use it for numbers you publish) and P(gap > 0).
- ``true gap`` is θ_U − θ_G of a simulated respondent (empty for the others). A respondent whose
  generation is ahead (``sim-drawer``) gets a *positive* legacy score: the legacy score cannot say
  which ability leads, nor how sure it is.
- The procedural baseline answers every item right: its θs are large and its gap interval wide.

Files written into ``--out``: ``gapeval_style.md``, ``gapeval_style.tex`` (booktabs; needs
``\\usepackage{booktabs}``), ``gapeval_style.csv``, ``gapeval_style_forest.png`` and, when the
script ran the bank itself, the run folder ``run/``.

Run ``python analyses/gapeval_style.py --out out/gapeval_style`` (the whole bank, about two minutes on
two cores) or with ``--quick`` (the first 200 items, two categories; well under a minute).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "QUICK_LIMIT",
    "answer_bank",
    "demo_config",
    "forest_figure",
    "joint_gaps",
    "legacy_gaps",
    "main",
    "make_table",
    "side_by_side",
    "standalone",
    "true_gaps",
    "write_outputs",
]

#: Items asked in ``--quick`` mode: the first 200 in id order (100 pairs in two categories).
QUICK_LIMIT = 200


def demo_config(*, seed: int = 0, limit: int | None = None) -> Any:
    """The run configuration: the demo's procedural and simulated respondents, standalone items only.

    Parameters
    ----------
    seed : int
        Run seed (every request's seed is derived from it).
    limit : int, optional
        Ask only the first ``limit`` items in id order (pairs stay together); default the whole bank.

    Returns
    -------
    gapeval.runner.RunConfig
    """
    from gapeval.demo import DEMO_MODELS
    from gapeval.model_spec import ModelSpec
    from gapeval.runner import RunConfig

    models = tuple(ModelSpec(name=name, adapter=adapter, options=options) for name, adapter, options in DEMO_MODELS)
    return RunConfig(bank="builtin", models=models, seed=seed, limit=limit, include="items", score=False)


def answer_bank(run_dir: str | Path, *, seed: int = 0, limit: int | None = None,
                quiet: bool = True) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """Answer the built-in bank with the demo's respondents, score the answers, return the long table.

    A run folder that exists is resumed (nothing is asked twice) and re-scored only where needed.

    Returns
    -------
    (DataFrame, dict or None)
        The long responses table and the run's manifest (from :func:`gapeval.report.load_responses`).
    """
    from gapeval.report import load_responses
    from gapeval.runner import Progress, run
    from gapeval.scoring.run_scoring import score_run

    run(demo_config(seed=seed, limit=limit), run_dir, progress=Progress(enabled=not quiet))
    score_run(run_dir)
    return load_responses(run_dir)


def standalone(responses: pd.DataFrame) -> pd.DataFrame:
    """The standalone answers (rows without a dialogue ``session``): the gap is fitted on these."""
    if "session" not in responses.columns:
        return responses
    return responses[responses["session"].isna()].reset_index(drop=True)


def true_gaps(manifest: Mapping[str, Any] | None) -> dict[str, float]:
    """θ_U − θ_G of every simulated respondent named in a run manifest (``{}`` without one).

    Examples
    --------
    >>> manifest = {"config": {"models": [
    ...     {"name": "p", "adapter": "procedural", "options": {}},
    ...     {"name": "s", "adapter": "simulated",
    ...      "options": {"theta_understanding": 1.0, "theta_generation": -0.5}}]}}
    >>> true_gaps(manifest)
    {'s': 1.5}
    """
    if not manifest:
        return {}
    truth = {}
    for spec in manifest.get("config", {}).get("models", []):
        options = spec.get("options", {})
        if spec.get("adapter") == "simulated":
            truth[str(spec["name"])] = float(options.get("theta_understanding", 0.0)) - float(
                options.get("theta_generation", 0.0))
    return truth


def _threshold(responses: pd.DataFrame) -> float | None:
    """None for 0/1 scores; 0.5 (stated in the table note) when some scores are fractions."""
    return None if responses["score"].isin([0, 1]).all() else 0.5


def legacy_gaps(responses: pd.DataFrame, *, by: str = "category") -> pd.DataFrame:
    """The legacy GapEval-2026 score per model: overall, per ``by`` group, and the mean signed Δ.

    Returns
    -------
    DataFrame
        ``model``, ``legacy`` (the reference's ``gap_mean``), ``legacy_delta`` (mean over groups of
        the signed Δ = θ_U − θ_G the score discards), ``n_pairs`` and one ``legacy[<group>]`` column per
        group (NaN where a model has no complete pair in that group).
    """
    from gapeval import gap_score

    table = gap_score(responses, method="gapeval-2026", by=by, threshold=_threshold(responses))
    rows = []
    for name, entry in table.attrs["legacy"].items():
        row: dict[str, Any] = {"model": name, "legacy": entry["gap_mean"],
                               "legacy_delta": float(np.mean(entry["delta"])), "n_pairs": int(sum(entry["n_pairs"]))}
        row.update({f"legacy[{group}]": gap for group, gap in zip(entry["groups"], entry["gaps"])})
        rows.append(row)
    frame = pd.DataFrame(rows)
    groups = sorted(c for c in frame.columns if c.startswith("legacy["))
    frame = frame[["model", "legacy", *groups, "legacy_delta", "n_pairs"]]
    frame.attrs.update(label=table.attrs["label"], method=table.attrs["method"])
    return frame


def joint_gaps(responses: pd.DataFrame, *, inference: str = "svi", seed: int = 0, level: float = 0.95,
               num_steps: int | None = None) -> pd.DataFrame:
    """The Gap Score of every model from one joint 2-D IRT fit (paired scale when items carry pairs)."""
    from gapeval import gap_score

    paired = "pair" in responses.columns and responses["pair"].notna().any()
    options: dict[str, Any] = {"num_steps": num_steps} if inference == "svi" and num_steps is not None else {}
    return gap_score(responses, pair="pair" if paired else None, scale="paired" if paired else "standardized",
                     inference=inference, seed=seed, level=level, threshold=_threshold(responses), **options)


def side_by_side(legacy: pd.DataFrame, gaps: pd.DataFrame, truth: Mapping[str, float]) -> pd.DataFrame:
    """One row per model: the legacy columns, the joint-IRT gap with its interval, and the true gap."""
    joint = gaps[["model", "gap", "gap_lower", "gap_upper", "p_gap_positive"]]
    frame = legacy.merge(joint, on="model", how="outer").sort_values("model", ignore_index=True)
    frame["true_gap"] = [truth.get(str(m), math.nan) for m in frame["model"]]
    frame.attrs.update(gaps.attrs)
    return frame


def make_table(frame: pd.DataFrame, *, caption: str = "Legacy GapEval-2026 score and joint-IRT gap per model",
               label: str = "tab:gapeval-style") -> Any:
    """A :class:`gapeval.tables.Table` of :func:`side_by_side`, with notes saying what every column is."""
    from gapeval.tables import table_from_frame

    shown = frame.copy()
    shown.insert(shown.columns.get_loc("gap_lower"), "interval",
                 list(zip(shown.pop("gap_lower"), shown.pop("gap_upper"))))
    shown["interval"] = [None if any(map(math.isnan, cell)) else cell for cell in shown["interval"]]
    groups = [c for c in shown.columns if c.startswith("legacy[")]
    labels = {"model": "Model", "legacy": "Legacy", "legacy_delta": "Legacy Δ", "n_pairs": "Pairs",
              "gap": "Gap", "interval": "Interval", "p_gap_positive": "P(gap > 0)", "true_gap": "True gap",
              **{c: f"Legacy: {c[len('legacy['):-1].replace('_', ' ')}" for c in groups}}
    attrs = frame.attrs
    level = attrs.get("level") or 0.95
    notes = [
        "Legacy: the GapEval-2026 reference score (mean over categories; unsigned, no uncertainty, "
        "optimiser-dependent), per category in the Legacy: columns; Legacy Δ: the mean signed "
        "θ_U − θ_G it computes and discards. For comparison with published GapEval numbers only.",
        f"Gap: posterior mean of θ_U − θ_G (logits, {attrs.get('scale')} scale) from one joint two-dimensional "
        f"IRT fit of all models; Interval: {level:.0%} {attrs.get('interval', 'credible interval')} "
        f"({attrs.get('inference')}); P(gap > 0): posterior probability.",
        "True gap: θ_U − θ_G of a simulated respondent (empty for the others).",
    ]
    if attrs.get("approximate"):
        notes.append("SVI intervals are approximate and typically too narrow; use --inference nuts to publish.")
    return table_from_frame(shown, caption=caption, label=label, kinds={"interval": "interval",
                                                                        "p_gap_positive": "number"},
                            labels=labels, notes=notes)


def forest_figure(gaps: pd.DataFrame, legacy: pd.DataFrame, truth: Mapping[str, float]) -> Any:
    """Two panels: the joint-IRT gaps with intervals (true gaps as crosses) and the legacy scores."""
    from matplotlib.figure import Figure

    from gapeval.figures import forest_plot

    figure = Figure(figsize=(10.0, 1.6 + 0.4 * len(gaps)), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=False)
    forest_plot(gaps, ax=left, sort=False)
    ticks = {t.get_text(): y for t, y in zip(left.get_yticklabels(), left.get_yticks())}
    known = [(ticks[name], value) for name, value in truth.items() if name in ticks]
    if known:
        ys, xs = zip(*known)
        left.plot(xs, ys, "x", color="C3", markersize=9, label="true gap", gid="truth")
        left.legend(loc="best", fontsize="small")
    order = pd.DataFrame({"model": list(ticks)}).merge(legacy, on="model", how="left")
    right.plot(order["legacy"], list(ticks.values()), "o", color="C1", gid="legacy")
    right.set_yticks(list(ticks.values()), list(ticks))
    right.set_ylim(left.get_ylim())
    right.set_xlim(0.0, 1.0)
    right.set_xlabel("legacy GapEval-2026 score (unsigned, no interval)")
    right.set_title("Legacy score")
    return figure


def write_outputs(out: str | Path, frame: pd.DataFrame, table: Any, figure: Any,
                  *, stem: str = "gapeval_style") -> list[Path]:
    """Write the Markdown, LaTeX and CSV tables and the forest-plot PNG; return their paths."""
    from gapeval.figures import save_figure
    from gapeval.tables import to_latex, to_markdown

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.md", folder / f"{stem}.tex", folder / f"{stem}.csv"]
    paths[0].write_text(to_markdown(table) + "\n", encoding="utf-8")
    paths[1].write_text(to_latex(table) + "\n", encoding="utf-8")
    frame.to_csv(paths[2], index=False)
    paths.append(save_figure(figure, folder / f"{stem}_forest.png"))
    return paths


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="output folder (tables, figure, run/)")
    parser.add_argument("--seed", type=int, default=0, help="run and fit seed (default 0)")
    parser.add_argument("--quick", action="store_true",
                        help=f"CI mode: the first {QUICK_LIMIT} items and 500 SVI steps")
    parser.add_argument("--responses", type=Path,
                        help="an existing run folder or long table (.csv/.parquet) instead of running the bank")
    parser.add_argument("--inference", choices=("svi", "nuts"), default="svi",
                        help="joint-IRT fit: svi (seconds, approximate intervals; default) or nuts (exact)")
    parser.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: answer (or load), fit both scores, write and print the table."""
    args = _parser().parse_args(argv)
    if args.responses is not None:
        from gapeval.report import load_responses

        responses, manifest = load_responses(args.responses)
    else:
        responses, manifest = answer_bank(args.out / "run", seed=args.seed,
                                          limit=QUICK_LIMIT if args.quick else None)
    items = standalone(responses)
    truth = true_gaps(manifest)
    legacy = legacy_gaps(items)
    # SVI takes the library's schedule (gapeval.sampling.GAP_SVI) in both modes: its learning rate decays
    # over num_steps, and 500 steps left the quick fit's gaps 0.4 logit off the NUTS posterior means
    gaps = joint_gaps(items, inference=args.inference, seed=args.seed, level=args.level)
    frame = side_by_side(legacy, gaps, truth)
    table = make_table(frame)
    paths = write_outputs(args.out, frame, table, forest_figure(gaps, legacy, truth))
    from gapeval.tables import to_markdown

    print(to_markdown(table))
    print("\nwrote " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
