"""``irt.fit`` NUTS at the AI shape over many seeds in one process (the program compiled once): R-hat, ESS, divergences, θ.

    cd benchmarks/irt && PYTHONPATH=/tmp/tree python nuts_seeds.py --case 2pl-20x600 --seeds 4 5 6 --tag after \\
        --out results/nuts_seeds.jsonl

For each seed, :func:`nuts_fresh.child`'s fit and record (data of ``compare_peers.py`` simulated with the
seed, ``irt.fit(data, "2pl", seed=seed)`` with its defaults), in this process: the first fit compiles, the
others reuse the program, so a code tree's convergence and accuracy over many seeds cost the sampling alone.
The draws equal a fresh process's (the same program). One JSON line per seed, with ``--tag`` and the tree.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")  # before JAX is imported
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _shared import emit_json_line  # noqa: E402
from nuts_fresh import child  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="2pl-20x600")
    parser.add_argument("--seeds", nargs="+", type=int, required=True)
    parser.add_argument("--tag", required=True, help="the code tree's name in the records")
    parser.add_argument("--out", default=None, help="JSON lines file to append to")
    args = parser.parse_args()
    for seed in args.seeds:
        record = {"tag": args.tag, "tree": os.environ.get("PYTHONPATH", ""), "case": args.case, "seed": seed,
                  **child(args.case, seed), "load_1min": round(os.getloadavg()[0], 2)}
        emit_json_line(record, args.out)


if __name__ == "__main__":
    main()
