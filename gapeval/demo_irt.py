"""``gapeval demo-irt``: the ``irt`` library alone on a simulated two-dimensional response matrix.

It simulates understanding and generation items answered by a cohort of respondents, fits the
confirmatory two-dimensional 2PL by NUTS, and prints the ability and item tables with the recovery
of the true parameters. (``gapeval demo`` is the whole benchmark pipeline.)
"""

from __future__ import annotations

import argparse
import time

__all__ = ["register", "run_demo"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo-irt`` command."""
    parser = subparsers.add_parser("demo-irt", help="the irt library alone: simulate, fit and recover a 2-D 2PL")
    parser.add_argument("--respondents", type=int, default=200, help="simulated respondents (default 200)")
    parser.add_argument("--items", type=int, default=40, help="items per dimension (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulation and the sampler")
    parser.add_argument("--samples", type=int, default=None,
                        help="NUTS draws kept per chain (default: the library's, see docs/inference.md)")
    parser.set_defaults(handler=lambda args: run_demo(num_respondents=args.respondents, items_per_dimension=args.items,
                                                      seed=args.seed, num_samples=args.samples))


def _step(message: str) -> float:
    print(f"[demo] {message}", flush=True)
    return time.perf_counter()


def run_demo(*, num_respondents: int = 200, items_per_dimension: int = 40, seed: int = 0,
             num_samples: int | None = None) -> int:
    """Simulate, fit and report; return the exit status.

    ``num_samples`` (NUTS draws kept per chain) reaches :func:`irt.fit` only when given; the
    other sampler settings are always the library's.
    """
    import numpy as np
    import pandas as pd

    import irt
    from gapeval.responses import DIRECTIONS

    if num_respondents < 10 or items_per_dimension < 5:
        raise ValueError("the demo needs at least 10 respondents and 5 items per dimension")
    num_items = 2 * items_per_dimension
    q = np.zeros((num_items, 2), dtype=int)
    q[:items_per_dimension, 0] = 1
    q[items_per_dimension:, 1] = 1
    start = _step(f"simulating {num_respondents} respondents x {num_items} items on two correlated dimensions "
                  "(understanding, generation; true correlation 0.5)")
    data, truth = irt.simulate("2pl", num_respondents=num_respondents, num_items=num_items, q_matrix=q,
                               correlation=0.5, seed=seed)
    q_frame = pd.DataFrame(truth.q_matrix, index=list(data.item_ids), columns=list(DIRECTIONS))
    sampler = {} if num_samples is None else {"num_samples": num_samples}
    drawn = "the library's sampler settings" if num_samples is None else f"{num_samples} draws per chain"
    _step(f"fitting the confirmatory 2-D 2PL by NUTS ({drawn})")
    result = irt.fit(data, "2pl", q_matrix=q_frame, seed=seed, **sampler)
    fit_seconds = time.perf_counter() - start

    abilities = result.abilities()
    items = result.items()
    pd.set_option("display.width", 120)
    print("\nAbilities (first 8 respondents; posterior mean, sd, 95% credible interval):")
    print(abilities.head(8).to_string(index=False, float_format=lambda x: f"{x:7.3f}"))
    print("\nItem parameters (first 3 items of each dimension):")
    shown = [data.item_ids[k] for k in (0, 1, 2, items_per_dimension, items_per_dimension + 1, items_per_dimension + 2)]
    print(items[items["item"].isin(shown)].to_string(index=False, float_format=lambda x: f"{x:7.3f}"))
    print("\nLatent correlation:")
    print(result.latent().to_string(index=False, float_format=lambda x: f"{x:7.3f}"))

    estimate = abilities["estimate"].to_numpy().reshape(num_respondents, 2)
    rows = []
    for k, name in enumerate(DIRECTIONS):
        frame = abilities[abilities["dimension"] == name]
        true_theta = truth.theta[:, k]
        covered = np.mean((frame["lower"].to_numpy() <= true_theta) & (true_theta <= frame["upper"].to_numpy()))
        slopes = items[items["param"] == f"a[{name}]"]["estimate"].to_numpy()
        true_a = truth.a[truth.a[:, k] > 0, k]
        rows.append({"dimension": name,
                     "theta_r": np.corrcoef(estimate[:, k], true_theta)[0, 1],
                     "theta_rmse": np.sqrt(np.mean((estimate[:, k] - true_theta) ** 2)),
                     "theta_95%_coverage": covered,
                     "slope_r": np.corrcoef(slopes, true_a)[0, 1]})
    intercepts = items[items["param"] == "d"]["estimate"].to_numpy()
    print("\nRecovery against the simulated truth:")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:7.3f}"))
    print(f"intercept r = {np.corrcoef(intercepts, truth.d)[0, 1]:.3f}; "
          f"true correlation 0.500, estimated {result.latent()['estimate'].iloc[0]:.3f}")
    diagnostics = result.diagnostics()
    print(f"\nDiagnostics: max R-hat {diagnostics.max_rhat:.3f}, min bulk ESS {diagnostics.min_ess_bulk:.0f}, "
          f"divergences {diagnostics.num_divergences}; fit took {fit_seconds:.1f} s")
    return 0
