"""Compile every ``.tex`` table of a report folder in an ``article`` and fail on any overfull box.

Each table is ``\\input`` into its own minimal document (``article``, 10 pt, the packages that
:func:`gapeval.tables.to_latex` documents: booktabs, tabularx, pdflscape) and compiled with
``pdflatex``; the log is read for ``Overfull \\hbox`` / ``Overfull \\vbox`` and errors.

Usage (from the repository root)::

    .venv/bin/python benchmarks/report/check_latex.py REPORT_DIR
    .venv/bin/python benchmarks/report/check_latex.py --simulate /tmp/report   # build a report first (SVI, ~30 s)
    .venv/bin/python benchmarks/report/check_latex.py --simulate --binary --long-names /tmp/report2
    .venv/bin/python benchmarks/report/check_latex.py --simulate --protocols --long-names /tmp/report3

Exit status 0 when every table compiles with no overfull box; 1 otherwise; 2 when ``pdflatex`` is
missing (``apt-get install texlive-latex-recommended``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[T1]{fontenc}
\usepackage{booktabs}
\usepackage{tabularx}
\usepackage{pdflscape}
\begin{document}
"""


LONG_NAMES = ("Qwen2.5-VL-72B-Instruct", "gpt-4o-2024-08-06", "janus-pro-7b", "claude-3.5-sonnet",
              "llava-onevision-qwen2-72b", "InternVL2.5-78B-MPO")


def simulate_report(folder: Path, *, binary: bool = False, long_names: bool = False, protocols: bool = False) -> Path:
    """A report of simulated data with every default part (gap, joint, decay), fitted by SVI.

    ``binary`` scores the dialogue turns 0/1 (the decay model is then Bayesian: posterior tail
    probabilities, variational Bayes here for speed); ``long_names`` gives the models real-length names;
    ``protocols`` answers everything under several protocols, so that the report adds the protocol
    tables (``protocol_effects.tex``, ``protocol_decay.tex``) and every respondent is ``model [protocol]``.
    """
    import numpy as np
    import pandas as pd

    from gapeval.decay import simulate_decay
    from gapeval.gap.simulate import simulate_gap_responses
    from gapeval.report import build_report

    if protocols:
        from gapeval.protocol_analysis import simulate_protocol_responses

        items, _ = simulate_protocol_responses(num_models=6, num_pairs=60, seed=3)
    else:
        items, _ = simulate_gap_responses(num_models=6, num_pairs=100, seed=3)
    categories = {pair: ("numerical_perception", "spatial_relations")[k % 2]
                  for k, pair in enumerate(sorted(items["pair"].unique()))}
    items = items.assign(category=items["pair"].map(categories), session=None, turn=np.nan)
    turns = simulate_decay(num_models=6, num_sessions=10, num_turns=5, seed=1)[0]
    names = dict(zip(sorted(turns["model"].unique()), sorted(items["model"].unique()), strict=True))
    turns = turns.assign(model=turns["model"].map(names),
                         item=turns["session"].astype(str) + "#" + turns["turn"].astype(str))
    if binary:
        turns = turns.assign(score=(turns["score"] > 0.6).astype(float))
    if protocols:  # every dialogue under every protocol; a protocol shifts the scores a little
        shift = {name: 0.05 * k for k, name in enumerate(sorted(items["protocol"].unique()))}
        turns = pd.concat([turns.assign(protocol=name, step="final", score=(turns["score"] + delta).clip(0, 1))
                           for name, delta in shift.items()], ignore_index=True)
    responses = pd.concat([items, turns], ignore_index=True)
    if long_names:
        responses = responses.assign(model=responses["model"].map(dict(zip(sorted(names.values()), LONG_NAMES))))
    steps = _steps(responses[responses["session"].isna()]) if protocols else None  # the items' steps
    build_report(responses, folder, inference="svi", gap_options={"num_steps": 500}, decay_binomial="vb", steps=steps)
    return folder


def _steps(responses):
    """A steps table for ``responses``: one called step per final answer, and a thought before each non-direct one."""
    import pandas as pd

    final = responses.assign(sample=0, step="final", called=True, context_tokens=300, output_tokens=20)
    thoughts = final[final["protocol"] != "direct"].assign(step="thought", context_tokens=250, output_tokens=180)
    return pd.concat([final, thoughts], ignore_index=True)


def check(tex: Path, work: Path) -> list[str]:
    """Problems of one table: overfull boxes and LaTeX errors (empty when it is clean)."""
    document = work / f"check-{tex.stem}.tex"
    document.write_text(PREAMBLE + f"\\input{{{tex.resolve().as_posix()}}}\n\\end{{document}}\n")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
                         cwd=work, capture_output=True, text=True, timeout=120)
    log = (work / f"check-{tex.stem}.log").read_text(errors="replace")
    problems = [line.strip() for line in log.splitlines() if re.match(r"(Overfull|Underfull) \\[hv]box", line)
                and line.startswith("Overfull")]
    if run.returncode != 0:
        problems += [line for line in log.splitlines() if line.startswith("!")] or [f"pdflatex exit {run.returncode}"]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a report folder (gapeval report --out FOLDER)")
    parser.add_argument("--simulate", action="store_true", help="first write a simulated report into FOLDER")
    parser.add_argument("--binary", action="store_true", help="with --simulate: 0/1 dialogue scores")
    parser.add_argument("--long-names", action="store_true", help="with --simulate: real-length model names")
    parser.add_argument("--protocols", action="store_true",
                        help="with --simulate: several protocols (adds protocol_effects.tex and protocol_decay.tex)")
    args = parser.parse_args(argv)
    if shutil.which("pdflatex") is None:
        print("pdflatex not found: apt-get install texlive-latex-recommended", file=sys.stderr)
        return 2
    if args.simulate:
        simulate_report(args.folder, binary=args.binary, long_names=args.long_names, protocols=args.protocols)
    tables = sorted(args.folder.glob("*.tex"))
    if not tables:
        print(f"no .tex tables in {args.folder}", file=sys.stderr)
        return 1
    failed = 0
    with tempfile.TemporaryDirectory() as work:
        for tex in tables:
            problems = check(tex, Path(work))
            failed += bool(problems)
            print(f"{'FAIL' if problems else 'ok  '} {tex.name}" + "".join(f"\n     {p}" for p in problems))
    print(f"{len(tables) - failed} of {len(tables)} tables compile with no overfull box")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
