"""Run one peer IRT estimator on a benchmark data folder; runs in the PEER environment.

This script is started by ``compare_peers.py`` with the peer environment's interpreter
(``/tmp/peers-venv/bin/python``, made by ``setup_peers.sh``). It imports only NumPy, the standard
library and the peer package it is asked for, so it never needs the project installed.

Input folder (written by ``compare_peers.py``)::

    responses.npy   respondents x items, int8 0/1 (the same matrix our fits read)
    q_matrix.npy    items x dimensions 0/1 (between-item: one 1 per row)

Output: a JSON file with ``theta`` (respondents x dimensions, the peer's point estimates), ``wall_s``
and ``cpu_s`` (measured inside this process, after the imports and the data load: process start and
imports are excluded), ``fits`` (how many separate model fits were needed) and ``note``.

Methods
-------
girth-2pl
    ``girth.twopl_mml`` (marginal ML) then ``girth.ability_eap`` with the estimated items.
    With several dimensions: one unidimensional fit per dimension on that dimension's items
    (between-item confirmatory structure; girth has no confirmatory multidimensional model).
pyirt-2pl
    py-irt's ``2pl`` (Pyro SVI) with its default configuration (priors ``vague``, 2000 epochs, lr 0.1).
    Per dimension as above when there are several.
pyirt-2pl-hier
    The same with ``priors="hierarchical"``.
pyirt-multidim
    py-irt's ``multidim_2pl`` with ``dims`` = number of dimensions: an exploratory model (every item
    loads on every dimension; no Q-matrix), so its dimensions are unlabelled. The raw ability columns
    are returned; ``compare_peers.py`` matches them to the true dimensions.

Usage::

    /tmp/peers-venv/bin/python benchmarks/irt/peer_runner.py METHOD DATA_DIR OUT_JSON --seed 0
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

METHODS = ("girth-2pl", "pyirt-2pl", "pyirt-2pl-hier", "pyirt-multidim")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _girth_2pl(matrix: np.ndarray, *, seed: int) -> np.ndarray:
    """θ (respondents,) from girth's 2PL marginal ML and EAP scoring."""
    import girth

    dataset = matrix.T.astype(int)  # girth wants items x respondents
    items = girth.twopl_mml(dataset)
    return np.asarray(girth.ability_eap(dataset, items["Difficulty"], items["Discrimination"]), dtype=float)


def _pyirt_fit(matrix: np.ndarray, *, seed: int, model_type: str, priors: str | None, dims: int | None) -> np.ndarray:
    """py-irt abilities, respondents x dims (dims=None: one column)."""
    import pandas as pd
    from py_irt.config import IrtConfig
    from py_irt.dataset import Dataset
    from py_irt.training import IrtModelTrainer

    frame = pd.DataFrame(matrix.astype(float), index=[f"r{k}" for k in range(matrix.shape[0])],
                         columns=[f"i{k}" for k in range(matrix.shape[1])])
    dataset = Dataset.from_pandas(frame)
    config = IrtConfig(model_type=model_type, priors=priors, dims=dims, seed=seed)
    trainer = IrtModelTrainer(data_path=None, config=config, dataset=dataset, verbose=False)
    trainer.train(device="cpu")
    params = trainer.last_params
    ability = np.asarray(params["ability"], dtype=float).reshape(matrix.shape[0], -1)
    # py-irt codes subjects in its own order: put the rows back in ours.
    order = {str(v): int(k) for k, v in params["subject_ids"].items()}
    rows = [order[f"r{k}"] for k in range(matrix.shape[0])]
    return ability[rows]


def run(method: str, matrix: np.ndarray, q_matrix: np.ndarray, *, seed: int) -> dict:
    """Fit ``method`` and return the estimates with timings (the imports happen before the clock)."""
    if method.startswith("girth"):
        import girth  # noqa: F401  (import before timing)
    else:
        import py_irt.training  # noqa: F401
        import pyro
        import torch

        torch.manual_seed(seed)
        pyro.set_rng_seed(seed)
    num_dims = q_matrix.shape[1]
    wall0, cpu0 = time.perf_counter(), _cpu_seconds()
    theta = np.full((matrix.shape[0], num_dims), np.nan)
    fits, note = 0, ""
    if method == "pyirt-multidim":
        theta = _pyirt_fit(matrix, seed=seed, model_type="multidim_2pl", priors=None, dims=num_dims)
        fits, note = 1, "exploratory (no Q-matrix); columns matched to true dimensions afterwards"
    else:
        for k in range(num_dims):
            columns = np.flatnonzero(q_matrix[:, k])
            sub = matrix[:, columns]
            if method == "girth-2pl":
                theta[:, k] = _girth_2pl(sub, seed=seed)
            else:
                priors = "hierarchical" if method == "pyirt-2pl-hier" else None
                theta[:, k] = _pyirt_fit(sub, seed=seed, model_type="2pl", priors=priors, dims=None)[:, 0]
            fits += 1
        if num_dims > 1:
            note = "one unidimensional fit per dimension (no confirmatory multidimensional model)"
    return {"method": method, "theta": theta.tolist(), "wall_s": time.perf_counter() - wall0,
            "cpu_s": _cpu_seconds() - cpu0, "fits": fits, "note": note}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=METHODS)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("out_json", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    matrix = np.load(args.data_dir / "responses.npy")
    q_matrix = np.load(args.data_dir / "q_matrix.npy")
    result = run(args.method, matrix, q_matrix, seed=args.seed)
    result["versions"] = _versions(args.method)
    args.out_json.write_text(json.dumps(result))
    return 0


def _versions(method: str) -> dict:
    import importlib.metadata as md

    names = ["girth"] if method.startswith("girth") else ["py-irt", "torch", "pyro-ppl"]
    return {name: md.version(name) for name in names + ["numpy", "scipy"]}


if __name__ == "__main__":
    sys.exit(main())
