"""How often converged chains fail the R-hat check by chance, and which real problems it still catches.

    .venv/bin/python benchmarks/gap/rhat_by_chance.py --repetitions 1000 --power-repetitions 400
    .venv/bin/python benchmarks/gap/rhat_by_chance.py --rows power --power-repetitions 200   # the power rows alone

Simulates chains of K independent quantities and runs them through
:meth:`irt.diagnostics.Diagnostics.from_draws` (ArviZ's rank-normalised split R-hat and ESS, as every
fit does). Two kinds of chains (unit variance):

* ``ar1``: AR(1) draws (the autocorrelation sets the ESS; bulk and folded ESS alike);
* ``nuts``: draws shaped like the gap fits' NUTS chains (``benchmarks/gap/folded_rhat.py``): a sign that
  flips with probability 0.67 (antithetic: bulk ESS above the draws) times the magnitude of an AR(1)
  with autocorrelation 0.67 (slow in scale: folded ESS ~3.7x below the bulk ESS). Marginally N(0, 1).
  At 2 chains of 400 / 600 / 1,200 draws their median bulk ESS is 1,373 / 2,092 / 4,088 and folded
  ESS 377 / 555 / 1,096; the gap fits measured 1,361-1,490 / 2,025-2,083 / 3,986-4,088 and
  381-396 / 566-581 / 1,153.

Three rules are compared per fit:

* ``fixed 1.01``: the largest R-hat over 1.01 (the rule before issue 16);
* ``old``: some quantity's R-hat (the larger of bulk and folded) over :func:`irt.diagnostics.rhat_limit`
  at its bulk ESS (the rule up to main 91dd696);
* ``new``: some quantity's bulk R-hat over the limit at its bulk ESS, or its folded R-hat over the limit
  at its folded ESS (what :meth:`~irt.diagnostics.Diagnostics.problems` checks now).

Null rows: all chains from one distribution (false alarms). Shift rows: the last chain of one quantity
is moved by ``shift`` sd (a chain stuck in another part of the posterior); scale rows: the last chain of
one quantity has its deviations multiplied by ``scale`` (a chain that explores a wider or narrower
region: what the folded R-hat is for). Each rate comes with its Clopper-Pearson 95% interval.
K = 18, 66, 186 are the checked quantities of ``gap_score`` at 4, 20 and 60 models (69 with the
sensitivity and specificity of a judge layer).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

#: The ``nuts`` chains: sign flip probability and the autocorrelation of the magnitude's AR(1).
FLIP, MAGNITUDE_RHO = 0.67, 0.67


def ar1(rng: np.random.Generator, rho: float, shape: tuple[int, int, int]) -> np.ndarray:
    """Stationary AR(1) draws with unit variance, (chains, draws, quantities)."""
    x = np.empty(shape)
    x[:, 0] = rng.normal(size=(shape[0], shape[2]))
    noise = rng.normal(size=shape) * np.sqrt(1 - rho ** 2)
    for t in range(1, shape[1]):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    return x


def nuts_like(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    """N(0, 1) draws, antithetic in sign and slow in magnitude, as the gap fits' NUTS chains (see the module)."""
    flips = np.where(rng.random(size=shape) < FLIP, -1.0, 1.0)
    flips[:, 0] = rng.choice([-1.0, 1.0], size=(shape[0], shape[2]))
    return np.cumprod(flips, axis=1) * np.abs(ar1(rng, MAGNITUDE_RHO, shape))


def failures(x: np.ndarray) -> tuple[bool, bool, bool, float, float]:
    """Whether the fixed, old and new rules flag the draws, and the median bulk and folded ESS."""
    from irt.diagnostics import Diagnostics, rhat_limit

    diag = Diagnostics.from_draws({"x": x}, sites=["x"])
    t = diag.table
    old = t["r_hat"].to_numpy() > rhat_limit(t["ess_bulk"].to_numpy(), num_quantities=len(t),
                                              num_chains=diag.num_chains)
    new = any(p.startswith("R-hat") for p in diag.problems())
    return diag.max_rhat > 1.01, bool(old.any()), new, float(t["ess_bulk"].median()), float(t["ess_folded"].median())


def rates(rng, *, kind: str, chains: int, draws: int, quantities: int, shift: float = 0.0, scale: float = 1.0,
          repetitions: int) -> dict:
    from replications import clopper_pearson

    found = []
    for _ in range(repetitions):
        shape = (chains, draws, quantities)
        x = nuts_like(rng, shape) if kind == "nuts" else ar1(rng, 0.33, shape)
        x[-1, :, 0] = x[-1, :, 0] * scale + shift
        found.append(failures(x))
    found = np.array(found)
    row = {"kind": kind, "chains": chains, "draws": draws, "quantities": quantities, "shift": shift,
           "scale": scale, "ess_bulk": float(np.median(found[:, 3])), "ess_folded": float(np.median(found[:, 4])),
           "repetitions": repetitions}
    for j, rule in enumerate(("fixed", "old", "new")):
        k = int(found[:, j].sum())
        row[rule] = (k / repetitions, *clopper_pearson(k, repetitions))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=1000, help="per null row")
    parser.add_argument("--power-repetitions", type=int, default=400, help="per shift or scale row")
    parser.add_argument("--rows", choices=["all", "null", "power"], default="all",
                        help="the null rows, the shift and scale rows, or both (two processes run in parallel)")
    args = parser.parse_args()
    rng = np.random.default_rng({"all": 0, "null": 0, "power": 1}[args.rows])
    null = dict(repetitions=args.repetitions)
    power = dict(kind="nuts", chains=2, draws=600, quantities=66, repetitions=args.power_repetitions)
    settings = [dict(kind="ar1", chains=2, draws=600, quantities=66, **null)]
    settings += [dict(kind="nuts", chains=2, draws=n, quantities=k, **null) for k in (18, 66, 186) for n in (400, 600)]
    settings += [dict(kind="nuts", chains=2, draws=1200, quantities=66, **null)]
    alternatives = [dict(shift=s, **power) for s in (0.1, 0.2, 0.3)]
    alternatives += [dict(scale=s, **power) for s in (1.1, 1.2, 1.3, 1.5, 0.8)]
    settings = {"all": settings + alternatives, "null": settings, "power": alternatives}[args.rows]
    print("| chains (kind, number) | draws | K | shift (sd) | scale | median bulk / folded ESS | fails, fixed 1.01 | "
          "fails, old limit (bulk ESS) | fails, new limits (own ESS) | repetitions |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    for setting in settings:
        r = rates(rng, **setting)
        cells = " | ".join(f"{r[rule][0]:.3f} ({r[rule][1]:.3f}-{r[rule][2]:.3f})" for rule in ("fixed", "old", "new"))
        print(f"| {r['kind']} {r['chains']} | {r['draws']} | {r['quantities']} | {r['shift']:.1f} | {r['scale']:.1f} | "
              f"{r['ess_bulk']:.0f} / {r['ess_folded']:.0f} | {cells} | {r['repetitions']} |", flush=True)
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
