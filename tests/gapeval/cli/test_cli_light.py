"""Building the ``gapeval`` parser and printing any ``--help`` imports no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

#: Top-level packages the parser must not import: numerical, imaging, plotting and model stacks.
HEAVY = ("numpy", "pandas", "scipy", "PIL", "matplotlib", "jax", "numpyro", "arviz", "statsmodels", "pydantic",
         "torch", "transformers", "diffusers", "httpx", "ray")
#: What of ``irt`` importing gapeval may load: its lazy top level and the host-device setting (no JAX).
LIGHT_IRT = ("irt", "irt._host")
#: gapeval packages whose import means a handler's work leaked into the parser.
HEAVY_GAPEVAL = ("gapeval.runner", "gapeval.bank", "gapeval.scoring", "gapeval.store", "gapeval.report",
                 "gapeval.adapters", "gapeval.respondents", "gapeval.scenes", "gapeval.gap", "gapeval.decay",
                 "gapeval.protocols", "gapeval.protocol_analysis", "gapeval.tables", "gapeval.figures",
                 "gapeval.results_import", "gapeval.calibration")
COMMANDS = ("run", "export", "merge", "score", "fit", "report", "bank", "bank build", "bank import", "import-results",
            "agreement", "calibrate", "demo", "demo-irt")

_PROBE = """
import json, sys
from gapeval.cli import main
for command in {commands!r}:
    try:
        main([*command.split(), "--help"])
    except SystemExit as done:
        assert done.code == 0, command
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def test_every_help_text_imports_nothing_heavy():
    done = subprocess.run([sys.executable, "-c", _PROBE.format(commands=COMMANDS)], capture_output=True, text=True,
                          check=True)
    loaded = json.loads(done.stderr)
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY or (m.split(".")[0] == "irt" and m not in LIGHT_IRT)]
    leaked = [m for m in loaded if m.startswith(HEAVY_GAPEVAL)]
    assert heavy == [] and leaked == [], (heavy, leaked)
    assert "usage: gapeval run" in done.stdout and "usage: gapeval demo-irt" in done.stdout


def test_sampler_flags_default_to_none_so_the_library_decides():
    from gapeval.cli import build_parser

    parser = build_parser()
    for command in (["fit", "t.csv"], ["report", "t.csv", "--out", "r"], ["demo"]):
        args = parser.parse_args(command)
        assert [args.inference, args.num_steps, args.num_warmup, args.num_samples, args.num_chains] == [None] * 5
    assert parser.parse_args(["report", "t.csv", "--out", "r"]).decay_binomial is None
    assert parser.parse_args(["demo-irt"]).samples is None
