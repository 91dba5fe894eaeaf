"""Runner overhead per answer, excluding the model: runner + store vs the adapter alone.

The scripted mock answers instantly, so (run time - adapter time) / answers is what the runner
adds per answer: building requests (histories), batching, committing to SQLite (WAL) and images.
Run: ``python benchmarks/runner/bench_overhead.py [--limit N]``; writes nothing, prints a table.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from gapeval.adapters.scripted import ScriptedAdapter
from gapeval.bank import load_bank
from gapeval.model_spec import ModelSpec
from gapeval.runner import RequestBuilder, RunConfig, build_plan, run


def adapter_only_seconds(bank, config) -> float:
    """Time the adapter alone on the plan's standalone items (requests built beforehand)."""
    plan = build_plan(bank, config)
    builder = RequestBuilder(bank, run_seed=config.seed)
    requests = [builder.item_request("mock", item, sample=0) for item in plan.items]
    adapter = ScriptedAdapter()
    started = time.perf_counter()
    for start in range(0, len(requests), 8):
        adapter.run_turns(requests[start : start + 8])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=400)
    args = parser.parse_args()
    bank = load_bank("builtin")
    for include in ("items", "dialogues"):
        config = RunConfig(
            models=(ModelSpec(name="mock", adapter="scripted"),), limit=args.limit,
            include=include, score=False,
        )
        calls = build_plan(bank, config).calls_per_model
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            run(config, folder, adapters={"mock": ScriptedAdapter()}, bank=bank)
            total = time.perf_counter() - started
        alone = adapter_only_seconds(bank, config) if include == "items" else float("nan")
        print(
            f"{include:9s} calls={calls:5d} run={total:6.2f}s per answer={1000 * total / calls:6.2f} ms"
            + (f" adapter alone={1000 * alone / calls:5.2f} ms -> overhead "
               f"{1000 * (total - alone) / calls:5.2f} ms" if alone == alone else "")
        )


if __name__ == "__main__":
    main()
