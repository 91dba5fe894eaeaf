"""How often the largest of many R-hats exceeds 1.01 in converged chains, by chance alone.

    .venv/bin/python benchmarks/gap/rhat_by_chance.py

Simulates 2 chains x 600 draws of 66 independent AR(1) quantities (the shape of ``gap_score``'s checked
quantities at its defaults) for three autocorrelations, i.e. three ESS levels, and prints P(max R-hat >
1.01) and the median maximum over 200 repetitions, with ArviZ's rank-normalised split R-hat.
"""

from __future__ import annotations

import numpy as np


def ar1(rng: np.random.Generator, rho: float, shape: tuple[int, int, int]) -> np.ndarray:
    """Stationary AR(1) draws with unit variance, (chains, draws, quantities)."""
    x = np.empty(shape)
    x[:, 0] = rng.normal(size=(shape[0], shape[2]))
    noise = rng.normal(size=shape) * np.sqrt(1 - rho ** 2)
    for t in range(1, shape[1]):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    return x


def main(repetitions: int = 200) -> None:
    import arviz as az

    rng = np.random.default_rng(0)
    chains, draws, quantities = 2, 600, 66
    for rho in (0.0, 0.2, 0.33):
        largest = np.array([float(az.rhat(az.convert_to_dataset({"x": ar1(rng, rho, (chains, draws, quantities))}))
                                  ["x"].max()) for _ in range(repetitions)])
        ess = chains * draws * (1 - rho) / (1 + rho)
        print(f"rho={rho:.2f} ESS~{ess:.0f}: P(max R-hat > 1.01) = {np.mean(largest > 1.01):.2f}, "
              f"median max R-hat = {np.median(largest):.4f}")


if __name__ == "__main__":
    main()
