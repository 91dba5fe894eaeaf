"""The entry points import neither JAX nor NumPyro: only a fit starts them (issue 20, Build 4).

Each probe runs in a fresh interpreter, so nothing imported by another test hides an import.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("jax", "jaxlib", "numpyro", "arviz", "torch", "transformers", "diffusers")

PROBES = {
    "from gapeval import gap_score": "from gapeval import gap_score; assert callable(gap_score)",
    "from gapeval.gap import gap_score, GapResult": "from gapeval.gap import gap_score, GapResult, gap_compare",
    "import irt": "import irt",
    "gapeval --help": (
        "from gapeval.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as done:\n    assert done.code == 0\n"
    ),
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_entry_points_do_not_import_jax(name):
    code = PROBES[name] + f"\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


def test_the_fit_path_still_imports_the_model():
    """The lazy names resolve to the real objects, and the fit module brings the samplers with it."""
    code = ("import sys\nfrom gapeval.gap import gap_score\nimport gapeval.gap.fit\n"
            "print(gap_score.__module__, 'jax' in sys.modules, 'numpyro' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["gapeval.gap.score", "True", "True"]
