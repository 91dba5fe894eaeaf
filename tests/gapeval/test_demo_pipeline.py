"""`gapeval demo` (the README's main job) end to end: every promised file, figures, recovery, resume."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from PIL import Image

from gapeval.demo import DEMO_MODELS

FIGURES = ("forest", "abilities", "item_curves", "item_information", "wright_map", "decay_curves")
TABLES = ("summary", "gap_scores", "gap_comparisons", "joint", "decay_fixed", "decay_slopes")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    done = subprocess.run([sys.executable, "-m", "gapeval.cli", "demo", "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done.stdout


def test_demo_writes_every_promised_file(demo):
    out, _ = demo
    report = out / "report"
    for stem in TABLES:
        assert (report / f"{stem}.md").stat().st_size > 0 and (report / f"{stem}.tex").stat().st_size > 0
    for name in FIGURES:
        path = report / "figures" / f"{name}.png"
        assert path.stat().st_size > 1000
        with Image.open(path) as image:
            image.verify()
    responses = pd.read_parquet(report / "responses.parquet")
    names = {name for name, _, _ in DEMO_MODELS} | {"tiny-janus"}
    assert set(responses["model"]) == names
    assert responses["session"].notna().any() and responses["score"].between(0, 1).all()
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["config"]["bank"] == "builtin" and "tiny-janus" in manifest["fingerprints"]
    assert (out / "run" / "answers.sqlite").exists()
    index = (report / "report.md").read_text()
    assert "## Gap scores" in index and "Not estimated" not in index


def test_demo_recovers_the_simulated_gaps_and_prints_the_table(demo):
    out, stdout = demo
    assert "[demo] gap scores" in stdout
    assert "4 of 4 true gaps inside their intervals" in stdout
    gaps = pd.read_csv(out / "report" / "gap_scores.csv").set_index("model")
    assert gaps.loc["sim-reader", "gap"] > gaps.loc["sim-even", "gap"] > gaps.loc["sim-drawer", "gap"]
    intervals = {}
    slopes = (out / "report" / "decay_slopes.md").read_text()
    assert "Dir.: U, understanding; G, generation." in slopes  # the table abbreviates the directions
    for line in slopes.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) > 4 and cells[0].startswith("sim-"):
            lower, upper = (float(v) for v in cells[4].strip("[]").split(","))
            intervals[(cells[0], cells[1])] = (lower, upper)
    for direction in ("understanding", "generation"):
        lower, upper = intervals[("sim-fading", direction[0].upper())]
        assert lower <= -0.15 <= upper  # simulated decay of the logit per turn
        lower, upper = intervals[("sim-even", direction[0].upper())]
        assert lower <= 0.0 <= upper


def test_demo_resumes_without_asking_again(demo):
    out, _ = demo
    done = subprocess.run([sys.executable, "-m", "gapeval.cli", "run", "--out", str(out / "run"), "--dry-run",
                           *[arg for name, adapter, options in DEMO_MODELS
                             for arg in ("--model", ",".join([f"{adapter}:name={name}",
                                                              *(f"{k}={v}" for k, v in options.items())]))]],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert ", 0 to give" in done.stdout


@pytest.mark.slow
def test_demo_shows_progress_in_every_phase(tmp_path):
    """`gapeval demo --progress` (a terminal shows it by default): a closing line per step, with the time left."""
    done = subprocess.run([sys.executable, "-m", "gapeval.cli", "demo", "--out", str(tmp_path), "--limit", "3",
                           "--inference", "svi", "--progress"], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    closing = {line.split(":")[0]: line for line in done.stderr.splitlines() if ", done in " in line}
    steps = [name for name, _, _ in DEMO_MODELS] + ["tiny-janus", "scoring", "report 1/4", "report 2/4", "report 3/4",
                                                   "report 4/4"]
    assert list(closing) == steps  # answering per model, scoring, then each step of the report, in order
    assert "9/9 calls (100%)" in closing["procedural"] and "scoring: 48/48 answers (100%)" in closing["scoring"]
    assert closing["report 1/4"].startswith("report 1/4: gap scores (svi): 3000/3000 iterations (100%)")
    assert closing["report 3/4"].startswith("report 3/4: decay model (laplace for 0/1 scores): ")
    counted = [line for name, line in closing.items() if name != "report 2/4" and name != "report 3/4"]
    assert all(", left 0:00:00" in line for line in counted)
    assert "[demo] fitting gap scores (svi)" in done.stdout and "s (CPU " in done.stdout
