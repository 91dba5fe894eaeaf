"""`gapeval demo-irt` (the irt library alone) and the command line's error handling."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from gapeval.cli import main


def test_demo_runs_and_reports_recovery(capsys):
    status = main(["demo-irt", "--respondents", "60", "--items", "12", "--samples", "300", "--seed", "1"])
    out = capsys.readouterr().out
    assert status == 0
    assert "[demo] fitting the confirmatory 2-D 2PL by NUTS" in out
    assert "omega[understanding,generation]" in out
    rows = re.findall(r"^\s*(understanding|generation)\s+([0-9.]+)\s+([0-9.]+)", out, flags=re.M)
    assert [name for name, *_ in rows] == ["understanding", "generation"]
    assert all(float(r) > 0.6 for _, r, _ in rows)  # theta correlation with the truth


def test_demo_rejects_too_small_a_job(capsys):
    assert main(["demo-irt", "--respondents", "3"]) == 2
    assert "the demo needs at least 10 respondents" in capsys.readouterr().err


def test_unknown_command_exits_with_usage_error():
    done = subprocess.run([sys.executable, "-m", "gapeval.cli", "frobnicate"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "invalid choice: 'frobnicate'" in done.stderr


@pytest.mark.parametrize("module", ["gapeval", "gapeval.cli", "irt"])
def test_importing_packages_pulls_in_no_heavy_library(module):
    code = (f"import sys, {module}; heavy = [m for m in ('torch', 'transformers', 'diffusers') if m in sys.modules]; "
            "print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
