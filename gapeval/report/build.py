"""Build a report folder from a long responses table: tables (Markdown + LaTeX), figures, an index.

The report holds, when the data allow each part (otherwise the index says why it is absent):

- ``summary.{md,tex}`` — answers and mean score per model, direction, items vs dialogues;
- ``gap_scores.{md,tex,csv}`` and ``gap_comparisons.{md,tex}`` — :func:`gapeval.gap_score` on the
  standalone items and :func:`gapeval.gap_compare`;
- ``joint.{md,tex}`` — joint proportions p11, p10, p01, p00 and cross-modal consistency;
- ``decay_fixed.{md,tex}`` and ``decay_slopes.{md,tex}`` — the mixed-effects decay model of the
  dialogue turns;
- ``figures/*.png`` — forest plot, θ_U vs θ_G, decay curves, item curves, Wright map;
- with several protocols in the run: every part above treats each (model, protocol) as a
  respondent ``model [protocol]``, and ``protocol_effects.{md,tex}`` (effects on θ_U, θ_G and the
  gap against ``direct``), ``protocol_cost.{md,tex}`` (the calls and tokens of each protocol, when
  the run's steps are known), ``figures/protocol_effects.png`` and
  ``protocol_decay.{md,tex}`` (protocol × turn) are added (:mod:`gapeval.report.protocol_part`);
- with self-verification steps: ``self_verification_round.{md,tex}`` and, for dialogue turns,
  ``self_verification_turn.{md,tex}`` — false acceptance of the model's own wrong answers, and its
  trend (:mod:`gapeval.report.verification_part`);
- ``responses.parquet`` and ``responses.csv`` — the long responses table the report was made from;
- ``manifest.json`` — the run's manifest (config, bank hash, fingerprints, versions), when known;
- ``report.md`` — the index, with the run's provenance when the data came from a run folder;
- ``report.html`` — the same index as one self-contained page to share (figures inline as base64,
  tables, provenance, warnings; :mod:`gapeval.report.html_page`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gapeval.files import output_folder
from gapeval.progress import Progress, silent
from gapeval.report.analyses import (
    Outcome,
    decay_outcome,
    gap_outcome,
    joint_outcome,
    summary_frame,
)
from gapeval.report.protocol_part import (
    by_respondent,
    protocol_labels,
    protocol_outcome,
    write_protocol_part,
)
from gapeval.report.verification_part import (
    verification_outcome,
    write_verification_part,
)
from gapeval.estimates import POSTERIOR, POSTERIOR_NUTS
from gapeval.responses import DIRECTIONS
from gapeval.sampling import BINOMIAL_METHOD, GAP_INFERENCE
from gapeval.store.atomic import write_bytes_atomic

__all__ = ["Report", "build_report"]


@dataclass(frozen=True)
class Report:
    """The files of a report and the analyses behind them."""

    folder: Path
    """The report folder."""
    files: tuple[Path, ...]
    """Every file written, index last."""
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    """Each analysis's results, or why it was skipped."""

    @property
    def index(self) -> Path:
        """``report.md``."""
        return self.folder / "report.md"


class _Writer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: list[Path] = []
        self.lines: list[str] = []
        self.tables: dict[str, Any] = {}
        """Each table's Markdown (a line of ``lines``) → the table, rendered again in ``report.html``."""

    def text(self, name: str, content: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, content.encode("utf-8"), fsync=False, suffix=path.suffix)
        self.files.append(path)
        return path

    def table(self, name: str, table: Any, heading: str) -> None:
        from gapeval.tables import to_latex, to_markdown

        markdown = to_markdown(table)
        self.tables[markdown] = table
        self.text(f"{name}.md", markdown + "\n")
        self.text(f"{name}.tex", to_latex(table) + "\n")
        self.lines += [f"## {heading}", "", markdown, "", f"LaTeX: [{name}.tex]({name}.tex)", ""]

    def figure(self, name: str, make: Any, caption: str) -> None:
        from gapeval.figures import save_figure

        try:
            figure = make()
        except (ValueError, KeyError) as error:
            self.lines += [f"*Figure {name} not drawn: {error}*", ""]
            return
        path = save_figure(figure, self.folder / "figures" / f"{name}.png")
        self.files.append(path)
        self.lines += [f"![{caption}](figures/{name}.png)", "", f"*{caption}*", ""]

    def skipped(self, heading: str, outcome: Outcome) -> None:
        self.lines += [f"## {heading}", "", f"Not estimated: {outcome.skipped}.", ""]

    def warned(self, outcome: Outcome) -> None:
        if outcome.warnings:
            self.lines += ["Warnings raised by this fit:", ""]
            self.lines += [f"- {message}" for message in outcome.warnings] + [""]


def _provenance(manifest: dict[str, Any] | None) -> list[str]:
    if not manifest:
        return ["Data: a long responses table (no run manifest).", ""]
    config = manifest.get("config", {})
    models = ", ".join(f"{m.get('name')} ({m.get('adapter')})" for m in config.get("models", []))
    git = manifest.get("git") or {}
    return [
        f"Data: run of bank `{config.get('bank')}` ({manifest.get('bank_hash')}), seed "
        f"{config.get('seed')}, {config.get('samples')} sample(s), history `{config.get('history')}`.",
        f"Models: {models}.",
        f"gapeval {manifest.get('versions', {}).get('gapeval')}, git {git.get('commit', 'unknown')[:12]}.",
        "",
    ]


def _data_files(writer: _Writer, responses: pd.DataFrame, manifest: dict[str, Any] | None) -> None:
    """The responses (Parquet when pyarrow is there, and CSV) and the manifest, beside the tables."""
    import json

    csv = writer.folder / "responses.csv"
    responses.to_csv(csv, index=False)
    writer.files.append(csv)
    listed = ["[responses.csv](responses.csv)"]
    try:
        responses.to_parquet(writer.folder / "responses.parquet", index=False)
    except ImportError:
        writer.lines += ["(responses.parquet not written: install gapeval[parquet])", ""]
    else:
        writer.files.append(writer.folder / "responses.parquet")
        listed.insert(0, "[responses.parquet](responses.parquet)")
    if manifest is not None:
        writer.text("manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        listed.append("[manifest.json](manifest.json)")
    writer.lines += [f"Data files: {', '.join(listed)}.", ""]


def _convergence(diagnostics: Any, inference: str | None, result: Any = None) -> str:
    """The gap table's note on convergence: the checks' verdict and numbers, and the draws they saw."""
    if inference != "nuts" or diagnostics is None:
        return f"Convergence diagnostics do not apply to {inference} (an optimisation, not a sampler)."
    d = diagnostics if isinstance(diagnostics, dict) else vars(diagnostics)
    verdict = "passed" if d.get("ok") else "FAILED (read the intervals with caution)"
    return (f"NUTS convergence {verdict}: max R-hat {d.get('max_rhat'):.3f}, min bulk ESS "
            f"{d.get('min_ess_bulk'):.0f}, {d.get('num_divergences')} divergent transitions.{_draws_taken(result)}")


def _draws_taken(result: Any) -> str:
    """" Draws: C chains x N after W warm-up, ..." for a NUTS fit that records them, else ""."""
    info, options = getattr(result, "info", None) or {}, getattr(result, "options", None)
    if "num_samples" not in info or options is None:
        return ""
    why = {"converged": ", stopped once the checks passed",
           "maximum": f", the most it draws (the checks did not pass from {options.min_samples} on)"}
    return (f" Draws: {options.num_chains} chains × {info['num_samples']} after {options.num_warmup} warm-up"
            f"{why.get(info.get('stopped'), '')}.")


def _gap_part(writer: _Writer, outcome: Outcome) -> None:
    from gapeval.figures import ability_scatter, forest_plot, item_curves, wright_map
    from gapeval.report.gap_tables import (
        gap_abilities_table,
        gap_comparison_table,
        gap_items_table,
        gap_score_table,
    )

    if outcome.skipped:
        writer.skipped("Gap scores", outcome)
        return
    gaps: pd.DataFrame = outcome.results["gaps"]
    attrs = gaps.attrs
    gaps.to_csv(writer.folder / "gap_scores.csv", index=False)
    writer.files.append(writer.folder / "gap_scores.csv")
    writer.table("gap_scores", gap_score_table(gaps, notes=[_convergence(attrs.get("diagnostics"),
                                                                          attrs.get("inference"),
                                                                          attrs.get("result"))]), "Gap scores")
    comparisons: pd.DataFrame = outcome.results["comparisons"]
    if not comparisons.empty:
        table = gap_comparison_table(comparisons, interval=str(attrs.get("interval", "credible interval")))
        writer.table("gap_comparisons", table, "Pairwise comparisons of gaps")
    result = attrs["result"]
    writer.figure("forest", lambda: forest_plot(gaps), "Gap per model with its interval")
    writer.figure("abilities", lambda: ability_scatter(gaps),
                  "Ability to understand (θU) against ability to generate (θG) per model; on the dashed line "
                  "they are equal")
    items = gap_items_table(result)
    abilities = gap_abilities_table(result)
    reading = items.loc[items["param"] == "a[understanding]", "item"].tolist()
    first = reading[:6]
    writer.figure("item_curves", lambda: item_curves(items, items=first),
                  "Item characteristic curves (first six understanding items, posterior means)")
    writer.figure("item_information", lambda: item_curves(items, items=reading, kind="information"),
                  "Item and test information of the understanding items")
    writer.figure("wright_map", lambda: wright_map(abilities, item_table=items, dimension="understanding"),
                  "Wright map of the understanding dimension: models beside item difficulties")


def _joint_part(writer: _Writer, outcome: Outcome) -> None:
    from gapeval.report.gap_tables import joint_proportion_table

    if outcome.skipped:
        writer.skipped("Joint proportions", outcome)
        return
    table = joint_proportion_table(outcome.results["joint"], threshold=outcome.results["threshold"])
    writer.table("joint", table, "Joint proportions of paired items")


def _decay_part(writer: _Writer, outcome: Outcome) -> None:
    from gapeval.figures import decay_curves
    from gapeval.tables import coef_table, slope_table

    if outcome.skipped:
        writer.skipped("Decay over turns", outcome)
        return
    result = outcome.results["decay"]
    writer.table("decay_fixed", coef_table(result, caption="Decay: fixed effects", label="tab:decay",
                                           test_column=None, term_labels=True),
                 "Decay over turns: fixed effects")
    # Holm adjusts p-values; a Bayesian fit's posterior tail probabilities are reported as they are
    bayesian = any(s.test.name in (POSTERIOR, POSTERIOR_NUTS) for s in result.slopes)
    slopes = slope_table(result, correction=None if bayesian else "holm", test_column=None, label="tab:decay-slopes")
    short = {direction: direction[0].upper() for direction in DIRECTIONS}
    writer.table("decay_slopes", slopes.abbreviate("direction", short, label="Dir."), "Per-model decay slopes")
    rows = outcome.results["rows"]
    writer.figure("decay_curves", lambda: decay_curves(rows, result=result),
                  "Mean score by turn with intervals, and each model's fitted slope")


def build_report(
    responses: pd.DataFrame,
    folder: str | Path,
    *,
    manifest: dict[str, Any] | None = None,
    inference: str = GAP_INFERENCE,
    seed: int = 0,
    level: float = 0.95,
    gap_options: dict[str, Any] | None = None,
    decay_binomial: str = BINOMIAL_METHOD,
    steps: pd.DataFrame | None = None,
    verdicts: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> Report:
    """Analyse ``responses`` and write the report into ``folder``.

    Parameters
    ----------
    responses : DataFrame
        The long responses table (scored answers only).
    folder : path
        Where to write (created; existing files of the same names are replaced).
    manifest : dict, optional
        The run manifest, for the provenance line.
    inference : {'nuts', 'svi'}
        How :func:`gapeval.gap_score` fits: ``nuts``, the exact posterior (the default,
        :data:`gapeval.sampling.GAP_INFERENCE`), or ``svi`` (seconds, approximate intervals).
    seed, level :
        Seed of every fit and level of every interval.
    gap_options : dict, optional
        Further keyword arguments of :func:`gapeval.gap_score` (e.g. ``num_steps``).
    decay_binomial : {'laplace', 'nuts', 'vb'}
        How the decay model fits 0/1 scores: ``laplace`` (glmer's Laplace approximation, seconds to
        minutes, intervals that cover; the default, :data:`gapeval.sampling.BINOMIAL_METHOD`), ``nuts`` (the
        Bayesian GLMM, a minute or more) or ``vb`` (seconds; intervals far too narrow, see
        ``docs/decay.md``).
    steps : DataFrame, optional
        The run's steps table (:meth:`gapeval.store.Store.steps_frame`), for the cost of each
        protocol beside its effect.
    verdicts : DataFrame, optional
        The run's self-verification verdicts (:func:`gapeval.protocol_analysis.verification_frame`), for the
        false acceptance of the model's own wrong answers by round and turn.
    progress : Progress, optional
        Shows each step (a :class:`gapeval.progress.Progress`; the fits report their
        iterations and the time left); default: nothing shown.

    Returns
    -------
    Report

    Raises
    ------
    GapevalError
        ``folder`` is an existing file (checked before any fit).
    """
    out = output_folder(folder, what="report folder")
    out.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out)
    writer.lines = ["# gapeval report", "", *_provenance(manifest)]
    _data_files(writer, responses, manifest)
    from gapeval.report.gap_tables import summary_table

    analysed = by_respondent(responses)
    writer.table("summary", summary_table(summary_frame(analysed)), "Answers")
    protocols = len(protocol_labels(responses)) > 1
    verifying = verdicts is not None and not verdicts.empty
    fits = {
        "gap": (f"gap scores ({inference})", lambda: gap_outcome(analysed, inference=inference, seed=seed,
                                                                 level=level, **(gap_options or {}))),
        "joint": ("joint proportions", lambda: joint_outcome(analysed, level=level)),
        "decay": (f"decay model ({decay_binomial} for 0/1 scores)",
                  lambda: decay_outcome(analysed, seed=seed, level=level, binomial_method=decay_binomial)),
    }
    parts = [("gap", _gap_part), ("joint", _joint_part), ("decay", _decay_part)]
    if protocols:
        fits["protocols"] = (f"protocol effects ({inference})", lambda: protocol_outcome(
            responses, steps=steps, inference=inference, seed=seed, level=level, decay_binomial=decay_binomial,
            **(gap_options or {})))
        parts.append(("protocols", write_protocol_part))
    if verifying:
        fits["verification"] = ("self-verification", lambda: verification_outcome(verdicts, level=level))
        parts.append(("verification", write_verification_part))
    progress = progress or silent()
    steps_in_all = len(fits) + 1
    outcomes = {}
    for number, (name, (what, compute)) in enumerate(fits.items(), start=1):
        with progress.phase(f"report {number}/{steps_in_all}: {what}"):
            outcomes[name] = compute()
    count = progress.counter(f"report {steps_in_all}/{steps_in_all}: tables and figures", unit="parts")
    for done, (name, part) in enumerate(parts, start=1):
        part(writer, outcomes[name])
        writer.warned(outcomes[name])
        count(done, len(parts))
    from gapeval.report.html_page import render_html

    writer.text("report.html", render_html(writer.lines, writer.tables, out, title="gapeval report"))
    index = writer.text("report.md", "\n".join(writer.lines) + "\n")
    files = tuple(path for path in writer.files if path != index) + (index,)
    return Report(folder=out, files=files, outcomes=outcomes)
