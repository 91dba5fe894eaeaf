"""``build_report`` / ``gapeval report`` / ``gapeval fit`` on a simulated long table."""

from __future__ import annotations

import base64
import io
import html
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gapeval.cli import main
from gapeval.decay import simulate_decay
from gapeval.errors import GapevalError
from gapeval.gap.simulate import simulate_gap_responses
from gapeval.progress import Progress
from gapeval.report import build_report, load_responses
from gapeval.report.analyses import decay_outcome, gap_outcome, summary_frame
from gapeval.responses import Columns


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    items, _ = simulate_gap_responses(num_models=4, num_pairs=40, seed=3)
    items = items.assign(category="numerical_perception", session=None, turn=np.nan)
    turns = simulate_decay(num_models=4, num_sessions=8, num_turns=4, seed=1)[0]
    names = dict(zip(sorted(turns["model"].unique()), sorted(items["model"].unique()), strict=True))
    turns = turns.assign(model=turns["model"].map(names), item=turns["session"].astype(str) + "#" + turns["turn"].astype(str))
    return pd.concat([items, turns], ignore_index=True)


@pytest.fixture(scope="module")
def shown() -> io.StringIO:
    """What the report's progress display printed."""
    return io.StringIO()


@pytest.fixture(scope="module")
def report(responses, tmp_path_factory, shown):
    return build_report(responses, tmp_path_factory.mktemp("report"), inference="svi", gap_options={"num_steps": 400},
                        progress=Progress(stream=shown, every_s=0.0, enabled=True))


def test_the_report_shows_each_step_and_the_fits_time_left(report, shown):
    lines = shown.getvalue().splitlines()
    assert lines[0] == "report 1/4: gap scores (svi) ..."
    fit = [line for line in lines if line.startswith("report 1/4: gap scores (svi): ")]
    timed = [re.fullmatch(r".*: (\d+)/400 iterations \(\d+%\), [\d.]+/s, left (\d:\d\d:\d\d)", line) for line in fit]
    assert len([m for m in timed if m]) > 10  # the SVI steps counted, with the time left
    assert fit[-1].startswith("report 1/4: gap scores (svi): 400/400 iterations (100%)") and "done in" in fit[-1]
    finished = [line.split(":")[0] for line in lines if ", done in " in line]
    assert finished == ["report 1/4", "report 2/4", "report 3/4", "report 4/4"]
    assert "report 4/4: tables and figures: 3/3 parts (100%)" in lines[-1]


def test_report_writes_every_promised_file(report, responses):
    tmp_path = report.folder
    names = {path.relative_to(tmp_path).as_posix() for path in report.files}
    for stem in ("summary", "gap_scores", "gap_comparisons", "joint", "decay_fixed", "decay_slopes"):
        assert {f"{stem}.md", f"{stem}.tex"} <= names
    figures = {"forest", "abilities", "item_curves", "item_information", "wright_map", "decay_curves"}
    assert {f"figures/{name}.png" for name in figures} <= names
    for name in figures:
        with Image.open(tmp_path / "figures" / f"{name}.png") as image:
            assert image.size[0] > 200 and image.size[1] > 150
    index = report.index.read_text()
    assert "## Gap scores" in index and "Not estimated" not in index
    assert all(outcome.skipped is None for outcome in report.outcomes.values())
    gaps = pd.read_csv(tmp_path / "gap_scores.csv")
    assert sorted(gaps["model"]) == sorted(responses["model"].unique())
    assert (gaps["gap_lower"] < gaps["gap"]).all() and (gaps["gap"] < gaps["gap_upper"]).all()
    latex = (tmp_path / "gap_scores.tex").read_text()
    assert latex.count(r"\begin{table}") == latex.count(r"\end{table}") == 1 and r"\toprule" in latex


def test_thin_data_are_skipped_with_a_reason_never_silently(responses):
    one_model = responses[responses["model"] == responses["model"].iloc[0]]
    assert "one model only" in gap_outcome(one_model, inference="svi", seed=0, level=0.95).skipped
    no_dialogues = responses[responses["session"].isna()]
    assert decay_outcome(no_dialogues, seed=0, level=0.95).skipped == "no dialogue turns in the data"
    understanding = responses[responses["direction"] == "understanding"]
    assert "a gap needs both directions" in gap_outcome(understanding, inference="svi", seed=0, level=0.95).skipped


def test_summary_counts_items_and_turns_apart(responses):
    summary = summary_frame(responses)
    items = summary[summary["part"] == "items"]
    assert set(items["answers"]) == {40}
    expected = responses[responses["session"].isna()].groupby(["model", "direction"])["score"].mean()
    got = items.set_index(["model", "direction"])["mean_score"]
    assert np.allclose(got.sort_index().to_numpy(), expected.sort_index().to_numpy())


def test_fit_and_report_commands_on_a_csv(tmp_path, responses, capsys):
    table = tmp_path / "long.csv"
    responses.to_csv(table, index=False)
    assert main(["fit", str(table), "-o", str(tmp_path / "gaps.csv"), "--inference", "svi", "--svi-steps", "300"]) == 0
    out = capsys.readouterr().out
    assert "gap_lower" in out and "paired" in out
    assert len(pd.read_csv(tmp_path / "gaps.csv")) == 4
    responses[responses["session"].isna()].to_csv(table, index=False)
    assert main(["report", str(table), "--out", str(tmp_path / "report"), "--inference", "svi", "--svi-steps", "300"]) == 0
    assert "decay: not estimated: no dialogue turns" in capsys.readouterr().out
    assert "Not estimated: no dialogue turns in the data." in (tmp_path / "report" / "report.md").read_text()


def test_sources_say_what_is_wrong(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "nothing.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"model": ["a"], "score": [1]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match=r"lacks the long-table columns \['item', 'direction'\]"):
        load_responses(bad)


def test_report_tables_have_human_headers_and_no_raw_identifiers(report):
    folder = report.folder
    gap = (folder / "gap_scores.md").read_text()
    assert "| Model | Gap | 95% CrI | P(gap > 0) | θ<sub>U</sub> | θ<sub>G</sub> | n<sub>U</sub> | n<sub>G</sub> |" in gap
    latex = (folder / "gap_scores.tex").read_text()
    assert r"Model & Gap & 95\% CrI & $P(\mathrm{gap} > 0)$ & $\theta_U$ & $\theta_G$ & $n_U$ & $n_G$ \\" in latex
    assert "approximate credible interval" in latex  # SVI intervals say so
    raw = ("gap_lower", "gap_upper", "p_gap_positive", "theta_understanding", "n_generation", "mean_score",
           "difference_sd", "p_greater", "consistency_lower", "n_incomplete", r"$\theta$\_U", "e-0")
    for path in folder.glob("*.tex"):
        text = path.read_text() + (folder / f"{path.stem}.md").read_text()
        assert not [word for word in raw if word in text], path.name
    gaps = pd.read_csv(folder / "gap_scores.csv")
    first = gaps.iloc[0]
    assert f"[{first.gap_lower:.3f}, {first.gap_upper:.3f}]".replace("-", "$-$") in latex
    slopes = (folder / "decay_slopes.md").read_text()
    assert "| Model | Dir. | Slope | SE | 95% CI | z | p | p (Holm) |" in slopes  # continuous scores: REML, Wald z
    assert "Dir.: U, understanding; G, generation." in slopes


def test_report_html_is_self_contained_with_every_figure_and_table(report):
    page = (report.folder / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # nothing is fetched or linked: every src is inline data, no href, stylesheet or script at all
    sources = re.findall(r'\bsrc="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"\bhref=|<link\b|<script\b|@import|url\(", page)
    figures = sorted(p for p in report.files if p.suffix == ".png")
    embedded = [base64.b64decode(s.split(",", 1)[1]) for s in sources]
    assert embedded == [p.read_bytes() for p in sorted(figures, key=lambda p: page.index(f'alt="{html.escape(_alt(report, p))}"'))]
    captions = re.findall(r"<caption>(.*?)</caption>", page)
    tables = sorted(p.stem for p in report.folder.glob("*.tex"))
    assert len(captions) == len(tables) == 6
    assert "Gap scores" in captions and "θ<sub>U</sub>" in page and "$" not in page.split("<body>")[1]
    assert page.count("<h2>") == (report.folder / "report.md").read_text().count("\n## ")
    for warning in (w for o in report.outcomes.values() for w in o.warnings):
        assert _html_escape(warning) in page


def _alt(report, figure):
    index = (report.folder / "report.md").read_text()
    return re.search(rf"!\[([^\]]*)\]\(figures/{figure.name}\)", index).group(1)


def _html_escape(text):
    return html.escape(text, quote=False)


def test_fit_and_report_map_the_columns_of_a_table_with_other_names(tmp_path, responses, capsys):
    table = tmp_path / "theirs.csv"
    items = responses[responses["session"].isna()]
    items.rename(columns={"model": "system", "score": "accuracy", "pair": "question"}).to_csv(table, index=False)
    flags = ["--model-col", "system", "--score-col", "accuracy", "--pair-col", "question"]
    assert main(["fit", str(table), "-o", str(tmp_path / "gaps.csv"), "--inference", "svi", "--svi-steps", "300",
                 *flags]) == 0
    assert "paired" in capsys.readouterr().out  # the pair column was found under its own name
    assert sorted(pd.read_csv(tmp_path / "gaps.csv")["model"]) == sorted(items["model"].unique())
    with pytest.raises(GapevalError, match=r"no column \['acc'\] \(given for \['score'\]\).*accuracy"):
        load_responses(table, columns=Columns(model="system", score="acc"))
    with pytest.raises(GapevalError, match=r"lacks the long-table columns \['model', 'score'\].*--model-col NAME"):
        load_responses(table)


def test_a_model_with_one_direction_has_empty_cells_not_empty_intervals():
    from gapeval.report.gap_tables import gap_score_table
    from gapeval.tables import to_markdown

    gaps = pd.DataFrame({"model": ["a", "b"], "gap": [0.5, np.nan], "gap_lower": [0.1, np.nan],
                         "gap_upper": [0.9, np.nan], "p_gap_positive": [0.9996, np.nan],
                         "theta_understanding": [0.2, -1.0], "theta_generation": [-0.3, np.nan],
                         "n_understanding": [10, 5], "n_generation": [10, 0]})
    gaps.attrs.update(scale="standardized", level=0.9, interval="credible interval", inference="nuts")
    markdown = to_markdown(gap_score_table(gaps))
    assert "| a | 0.500 | [0.100, 0.900] | > 0.999 | 0.200 | -0.300 | 10 | 10 |" in markdown
    assert "| b | — | — | — | -1.000 | — | 5 | 0 |" in markdown
    assert "| Model | Gap | 90% CrI |" in markdown


def test_the_convergence_note_says_how_many_draws_the_checks_saw_and_why_the_chains_stopped():
    from types import SimpleNamespace

    from gapeval.report.build import _convergence
    from gapeval.sampling import GAP_NUTS_SMALL

    passed = {"ok": True, "max_rhat": 1.0071, "min_ess_bulk": 1271.6, "num_divergences": 0}
    stopped = SimpleNamespace(info={"num_samples": 400, "stopped": "converged"}, options=GAP_NUTS_SMALL)
    assert _convergence(passed, "nuts", stopped) == (
        "NUTS convergence passed: max R-hat 1.007, min bulk ESS 1272, 0 divergent transitions. "
        "Draws: 4 chains × 400 after 400 warm-up, stopped once the checks passed.")
    went_on = SimpleNamespace(info={"num_samples": 600, "stopped": "maximum"}, options=GAP_NUTS_SMALL)
    assert _convergence({**passed, "ok": False}, "nuts", went_on).endswith(
        "Draws: 4 chains × 600 after 400 warm-up, the most it draws (the checks did not pass from 400 on).")
    fixed = SimpleNamespace(info={"num_samples": 600, "stopped": "fixed"}, options=GAP_NUTS_SMALL)
    assert _convergence(passed, "nuts", fixed).endswith("Draws: 4 chains × 600 after 400 warm-up.")
    assert _convergence(passed, "nuts").endswith("divergent transitions.")   # a result that records no draws
    assert _convergence(None, "svi", stopped).startswith("Convergence diagnostics do not apply to svi")
