"""NUTS with the hand-written likelihood gradient against JAX's (commit d4a8fc1): draws, steps, warnings, coverage, CPU.

For each seed (a data set ``simulate_gap_responses(--models, --pairs, seed=seed)`` and the sampler's seed),
one process fits the default ``gap_score`` (NUTS, stopping once converged) twice, alternating which variant
goes first: the 0/1 likelihood's gradient written by hand (``hand``, shipped) and JAX's derivative of the same
sum (``autodiff``, the code of d4a8fc1; ``gradient_variant.py``). Each fit is one row of ``stopping.py``'s
columns plus the variant and the leapfrog steps per kept draw. Seed 0's fits compile; compare CPU seconds
from seed 1 on (each variant reuses its own programs).

    PYTHONPATH=$PWD python benchmarks/gap/nuts_speed.py --models 20 --pairs 600 --replications 6 \\
        --out benchmarks/gap/convergence/nuts_speed_20x600.csv

``NUTS_SPEED_COMPARE=warmup`` compares instead the default warm-up (400) with 200 iterations, both with the
hand-written gradient; ``NUTS_SPEED_COMPARE=before NUTS_SPEED_BEFORE=DIR`` this tree's hand-written gradient with
that of the source tree DIR (e.g. ``git archive 8211860``: the seventh session's; the column ``gradient`` reads
``hand_before`` for it). ``NUTS_SPEED_CHANCE=0.25`` gives the understanding forms that chance level (an observation
layer: the variants then differ in the layer likelihood's gradient, ``layer_marginal`` against JAX's).

Writes the CSV after every seed and resumes from it.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")


from functools import partial  # noqa: E402

import pandas as pd  # noqa: E402
from gradient_variant import use_gradient  # noqa: E402
from replications import cohort_main  # noqa: E402
from stopping import fit_once  # noqa: E402


#: The variants each seed's data set is fitted by: (gradient, num_warmup, from the tree NUTS_SPEED_BEFORE), by
#: the name of what they compare.
COMPARISONS = {"gradient": (("hand", None, False), ("autodiff", None, False)),
               "warmup": (("hand", None, False), ("hand", 200, False)),
               "before": (("hand", None, False), ("hand", None, True))}


def replicate(seed: int, *, num_models: int, num_pairs: int, compare: str = "gradient") -> pd.DataFrame:
    from gapeval.gap.simulate import simulate_gap_responses

    chance = float(os.environ.get("NUTS_SPEED_CHANCE", "0"))
    df, truth = simulate_gap_responses(num_models, num_pairs, seed=seed, chance=(chance, 0.0))
    variants = COMPARISONS[compare]
    rows = []
    for k, (gradient, num_warmup, before) in enumerate(variants if seed % 2 == 0 else variants[::-1]):   # alternated
        use_gradient(gradient, source=os.environ["NUTS_SPEED_BEFORE"] if before else None)
        rows.append({"replication": seed, "models": num_models, "pairs": num_pairs, "position": k,
                     "gradient": gradient + ("_before" if before else ""), "num_warmup": num_warmup or "default",
                     **fit_once(df, truth, seed=seed, stop=True, num_warmup=num_warmup)})
    return pd.DataFrame(rows)


def main() -> None:
    compare = os.environ.get("NUTS_SPEED_COMPARE", "gradient")
    cohort_main(__doc__.splitlines()[0], partial(replicate, compare=compare), replications=6, describe=lambda r: (
        f"{r.gradient} warm-up {r.num_warmup} draws={r.num_samples} steps={r.leapfrog_steps:.1f} warned={r.warned} "
        f"cov={r.coverage_95:.2f} cpu={r.cpu_seconds:.1f}s wall={r.seconds:.1f}s load={r.load:.1f}"))


if __name__ == "__main__":
    main()
