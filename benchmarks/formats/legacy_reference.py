"""How far ``legacy_gap_score`` is from the reference ``evaluate.py`` on its 15 recorded models.

Prints, for an implementation of the legacy score (this tree's, or an older ``legacy.py`` given by
``--legacy-file``, e.g. ``git show main:gapeval/gap/legacy.py > /tmp/legacy_main.py``), the torch
build and CPU kernels, the largest absolute difference of a gap from the reference outputs in
``tests/reference_data/gapeval2026_reference.json``, how many models differ by more than 1e-5, the
wall time, and the per-model differences as JSON. Set ``ATEN_CPU_CAPABILITY=default`` to measure
torch's unvectorised kernels.

Usage (from the repository root)::

    .venv/bin/python benchmarks/formats/legacy_reference.py
    ATEN_CPU_CAPABILITY=default .venv/bin/python benchmarks/formats/legacy_reference.py
    .venv/bin/python benchmarks/formats/legacy_reference.py --legacy-file /tmp/legacy_main.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

REFERENCE = Path(__file__).parents[2] / "tests" / "reference_data" / "gapeval2026_reference.json"


def _legacy(path: Path | None):
    if path is None:
        from gapeval.gap.legacy import legacy_gap_score

        return legacy_gap_score
    spec = importlib.util.spec_from_file_location("legacy_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.legacy_gap_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legacy-file", type=Path, default=None, help="another legacy.py to measure")
    args = parser.parse_args()
    import torch

    reference = json.loads(REFERENCE.read_text())
    score = _legacy(args.legacy_file)
    start = time.perf_counter()
    result = score(reference["inputs"])
    seconds = time.perf_counter() - start
    worst = {model: max(abs(a - b) for a, b in zip(result[model]["gaps"], expected["gaps"], strict=True))
             for model, expected in reference["outputs"].items()}  # fmt: skip
    print(f"{args.legacy_file or 'this tree'}: torch {torch.__version__}, kernels "
          f"{torch.backends.cpu.get_cpu_capability()}, largest difference {max(worst.values()):.6f}, "
          f"{sum(d > 1e-5 for d in worst.values())} of {len(worst)} models above 1e-5, "
          f"{sum(d > 0 for d in worst.values())} moved at all, {seconds:.0f} s")
    print(json.dumps({model: round(value, 6) for model, value in worst.items()}))


if __name__ == "__main__":
    main()
