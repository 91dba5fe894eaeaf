"""LaTeX and Markdown renderings: golden files, escaping, balanced environments, pipe-table shape.

Regenerate the golden files after an intended change with ``GAPEVAL_UPDATE_GOLDEN=1 pytest ...``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from gapeval.decay import mixed_model
from gapeval.tables import (
    Column,
    Marks,
    Table,
    coef_table,
    escape_latex,
    escape_markdown,
    to_latex,
    to_markdown,
)

GOLDEN = Path(__file__).parent / "golden"
NASTY = ["gpt_4o", "50% mix", "A&B #2", "cost $5", "x^2 ~ y", r"back\slash", "{braced}", "a|b", "*star*"]


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("GAPEVAL_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} missing; run with GAPEVAL_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def nasty_table() -> Table:
    columns = (
        Column("model", "Model_name", "text"), Column("gap", "Gap (θ_U − θ_G)", digits=2),
        Column("ci", "95% CI", "interval", 2), Column("n", "Items", "integer"),
        Column("p", "p (Holm)", "p_value"), Column("test", "Test", "text"),
    )
    rows = tuple(
        (name, 0.5 - 0.25 * i, (0.1 - 0.3 * i, 0.9 - 0.2 * i), 10 + i, [0.2, 0.004, 3.1e-8][i % 3], "Wald z")
        for i, name in enumerate(NASTY)
    )
    rows = rows[:-1] + ((NASTY[-1], None, (0.0, 1.0), 3, float("nan"), "Wald z"),)
    return Table(columns=columns, rows=rows, caption="Gaps & more: 100% of models_1",
                 label="tab:gaps", notes=("Scores in [0, 1]; higher is better.",), tests=("Wald z",),
                 correction="holm", family_size=9, marks=Marks("p"))


@pytest.fixture(scope="module")
def sleep_fit(reference_dir):
    data = pd.read_csv(reference_dir / "sleepstudy.csv")
    return mixed_model("Reaction ~ Days", data, groups="Subject", re_formula="~Days")


def test_golden_latex(nasty_table):
    _check_golden("nasty.tex", to_latex(nasty_table))


def test_golden_markdown(nasty_table):
    _check_golden("nasty.md", to_markdown(nasty_table))


def test_golden_sleepstudy_tables(sleep_fit):
    table = coef_table(sleep_fit, correction="holm", marks=True, label="tab:sleep")
    _check_golden("sleepstudy_coef.tex", to_latex(table))
    _check_golden("sleepstudy_coef.md", to_markdown(table))


def _strip_escapes(tex: str) -> str:
    return re.sub(r"\\[&%$#_{}]", "", tex)


def test_latex_is_compile_shaped(nasty_table, sleep_fit):
    for tex in (to_latex(nasty_table), to_latex(coef_table(sleep_fit, marks=True))):
        stack = []
        for kind, env in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
            if kind == "begin":
                stack.append(env)
            else:
                assert stack and stack.pop() == env, f"\\end{{{env}}} without matching \\begin"
        assert stack == []
        bare = _strip_escapes(tex)
        depth = 0
        for ch in bare:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0
        assert depth == 0
        assert bare.count("$") % 2 == 0  # math shifts come in pairs
        assert not re.search(r"(?<!\\)[&%#_](?![^$]*\$)", bare.replace("&", "")), "unescaped special"
        for line in tex.splitlines():
            if line.strip().endswith(r"\\"):
                assert _strip_escapes(line).count("&") == len(re.findall(r"\{([lr]+)\}", tex)[0]) - 1


def test_latex_escapes_model_names(nasty_table):
    tex = to_latex(nasty_table)
    for name in NASTY:
        assert escape_latex(name) in tex
    assert r"gpt\_4o" in tex and r"50\% mix" in tex and r"A\&B \#2" in tex and r"cost \$5" in tex
    assert r"\caption{Gaps \& more: 100\% of models\_1}" in tex
    assert r"Gap ($\theta$\_U $-$ $\theta$\_G)" in tex
    assert r"\begin{tabular}{lrrrrl}" in tex and r"\toprule" in tex and r"\bottomrule" in tex


def test_markdown_is_a_pipe_table(nasty_table):
    md = to_markdown(nasty_table)
    lines = md.splitlines()
    table_lines = [ln for ln in lines if ln.startswith("| ")]
    assert len(table_lines) == 2 + len(nasty_table.rows)
    assert table_lines[1] == "| :--- | ---: | ---: | ---: | ---: | :--- |"
    for ln in table_lines:
        assert len(re.findall(r"(?<!\\)\|", ln)) == len(nasty_table.columns) + 1
    assert lines[0] == "Table: Gaps & more: 100% of models\\_1"
    assert "| gpt\\_4o |" in md and "| a\\|b |" in md and "| \\*star\\* |" in md
    assert md.rstrip().splitlines()[-1].startswith("*Note.* Scores in \\[0, 1\\]")


def test_marks_follow_thresholds_and_are_defined(nasty_table):
    md = to_markdown(nasty_table)
    assert "| 0.200 | Wald z |" in md
    assert "| 0.004\\*\\* | Wald z |" in md
    assert "| < 0.001\\*\\*\\* | Wald z |" in md
    assert "Marks: \\* p (Holm) \\< 0.05; \\*\\* p (Holm) \\< 0.01; \\*\\*\\* p (Holm) \\< 0.001." in md
    assert r"0.004\textsuperscript{**}" in to_latex(nasty_table)


def test_notes_state_tests_and_correction(nasty_table):
    notes = nasty_table.note_lines()
    assert notes[0] == "Scores in [0, 1]; higher is better."
    assert notes[1].startswith("Wald z: estimate / SE referred to the standard normal")
    assert notes[2] == "p-values adjusted for 9 comparisons by Holm's step-down adjustment (family-wise error rate)."


def test_escape_functions():
    assert escape_latex(r"a_b%c&d#e$f{g}h~i^j\k") == (
        r"a\_b\%c\&d\#e\$f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k"
    )
    assert escape_markdown("a_b|c*d`e") == r"a\_b\|c\*d\`e"
