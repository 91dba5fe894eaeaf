"""The legacy GapEval-2026 gap score, reproduced to the digit for comparison with published numbers.

This is **not** the Gap Score of this package (that is :func:`gapeval.gap_score`, an item-level IRT
posterior). It re-implements the reference ``evaluate.py`` that accompanies the GapEval paper
(``Lucky-Wang-Chenlong/GapEval``) so that numbers can be compared with published ones. Use it for
that and nothing else.

What it computes, per model, from rows ``[p11, p10, p01, p00]`` (joint proportions of
understanding/generation success, one row per category): pU = p11 + p10 and pG = p11 + p01 become
pseudo-counts out of N = 1000; a two-dimensional latent θ_r = (θ_rU, θ_rG) per row with a Gaussian
prior (free mean μ, covariance through a softplus-diagonal Cholesky factor) and intercepts β is
fitted by 2000 AdamW steps (float32, one CPU thread, seed 42) on the binomial likelihood + prior +
a 1e-3 ridge on β and μ, keeping θ of the lowest-loss step. Then Δ_r = θ_rU − θ_rG,
g_r = clamp(|Δ_r| / (1 + |Δ_r|), 1e-6, 1 − 1e-6) and

    Gap_r = σ(logit g_r + 2.7·p00_r − 1.05·p11_r) = σ(ln|Δ_r| + 2.7·p00_r − 1.05·p11_r),

and the model's score is the unweighted mean of the rounded Gap_r.

**The order of operations is the reference's.** The fit amplifies round-off, so two programs that
are equal as mathematics give different digits. This module follows the reference's graph: each row
is normalised in Python floats (float64) before the tensor is built; the successes and failures are
column views of ``proportions * N``, with failures from p01 + p00 and p10 + p00 (never ``1 − p``);
Σ⁻¹ is computed before the likelihood; the Cholesky factor is built by clone and index-put; the
prior is an einsum. It equals the reference's outputs on all 15 models of
``tests/reference_data/gapeval2026_reference.json`` to every printed digit. An earlier version of
this module that computed the same formulas in another order differed from the reference by up to
0.080 in a gap on 14 of those 15 models.

Known defects (why the package does not use it as its estimand):

* **Δ is identified only through the ridge.** The likelihood depends on θ_rd − β_d only, so shifting
  β_U and every θ_rU (and μ_U) together changes nothing but the 1e-3 ridge. Δ therefore depends on
  how far 2000 AdamW steps travel along that nearly flat direction; at lr 0.05 AdamW does not
  settle (the loss oscillates) and the kept θ is that of whichever step happened to reach the lowest
  loss, so Δ moves with the step count while the loss stays flat. Measured on :data:`DRIFT_EXAMPLE`
  after 1000 / 2000 / 4000 steps: model "A", Δ of row 2 0.593302 / 0.582748 / 0.580289, gap_mean
  0.516309 / 0.514349 / 0.513853, lowest loss 5152.906 / 5152.818 / 5152.725; model "B", lowest loss
  4332.397 at both 2000 and 4000 steps while every Δ_r moves by about −0.002 (the ridge direction)
  — see ``docs/gap_legacy.md``.
* **Round-off decides the digits.** Which step has the lowest loss is decided by float32 round-off,
  so inputs one float32 ulp apart can give gaps 0.05 apart: moving 3e-8 from p00 to p11 in the first
  row of the reference model ``rand_18`` moves the gap of its third row from 0.027463 to 0.078373.
  For the same reason the result depends on the order of operations (above) and on torch's CPU
  kernels (``docs/gap_legacy.md``).
* **The sign is lost**: |Δ| enters, so a model whose generation is ahead scores like one whose
  understanding is ahead.
* **No uncertainty**: a point value without an interval; 10 pairs and 10,000 pairs look the same.
* **N = 1000 is arbitrary**: the pseudo-count sets the weight of the likelihood against the prior
  regardless of how many items the proportions came from.
* The added terms 2.7·p00 − 1.05·p11 are hand-set constants, not estimated.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd

from gapeval.errors import GapevalError
from gapeval.gap.joint import joint_table

__all__ = [
    "DRIFT_EXAMPLE",
    "LEGACY_LABEL",
    "LEGACY_METHOD",
    "legacy_gap_score",
    "legacy_gap_score_from_responses",
]

#: Value of the ``method`` entry of every legacy result (and of ``gap_score(method=...)``).
LEGACY_METHOD = "gapeval-2026"
#: Human-readable label carried by every legacy result.
LEGACY_LABEL = (
    "legacy GapEval-2026 gap score (reference implementation; unsigned, no uncertainty, "
    "optimiser-dependent) - for comparison with published GapEval numbers only"
)
#: The input used to measure the step-count drift documented above.
DRIFT_EXAMPLE: dict[str, list[list[float]]] = {
    "A": [
        [0.405, 0.264, 0.045, 0.286],
        [0.483, 0.268, 0.135, 0.114],
        [0.356, 0.313, 0.084, 0.247],
        [0.274, 0.407, 0.142, 0.177],
    ],
    "B": [
        [0.626, 0.244, 0.034, 0.096],
        [0.830, 0.011, 0.065, 0.094],
        [0.431, 0.126, 0.305, 0.138],
        [0.451, 0.243, 0.193, 0.113],
    ],
}

_N = 1000.0  # pseudo-count
_NUM_STEPS = 2000
_SEED = 42
_TOLERANCE = 5e-3  # allowed |row sum - 1|
_LAMBDA_FAIL = 2.7  # weight of p00 in the adjusted gap
_LAMBDA_SUCC = 1.05  # weight of p11


def _as_list(values: Any) -> list | None:
    """``list(values)`` for a list-like (list, tuple, array), None for anything else."""
    if isinstance(values, (str, bytes, Mapping)):
        return None
    try:
        return list(values)
    except TypeError:
        return None


def _validated_rows(model: Hashable, rows: Sequence[Sequence[float]]) -> list[list[float]]:
    """Check each row as the reference does; return the rows as lists of floats (not normalised)."""
    rows = _as_list(rows)
    if not rows:
        raise GapevalError(
            f"model {model!r}: expected a non-empty list of rows [p11, p10, p01, p00], got {rows!r}"
        )
    checked = []
    for index, row in enumerate(rows):
        values = _as_list(row)
        if values is None or len(values) != 4:
            raise GapevalError(
                f"model {model!r} row {index}: expected 4 values [p11, p10, p01, p00], got {row!r}"
            )
        try:
            values = [float(v) for v in values]
        except (TypeError, ValueError):
            raise GapevalError(
                f"model {model!r} row {index}: non-numeric value in {row!r}; pass numbers"
            ) from None
        if not all(math.isfinite(v) for v in values):
            raise GapevalError(f"model {model!r} row {index}: non-finite value in {values}")
        if any(v < 0 for v in values):
            raise GapevalError(
                f"model {model!r} row {index}: negative value in {values}; proportions must be >= 0"
            )
        total = sum(values)
        if abs(total - 1.0) > _TOLERANCE:
            raise GapevalError(
                f"model {model!r} row {index}: values sum to {total:.6g}, not 1 (tolerance "
                f"{_TOLERANCE:g}): {values}; pass joint proportions [p11, p10, p01, p00]"
            )
        checked.append(values)
    return checked


def _reference_tensors(rows: list[list[float]]) -> tuple[Any, Any, Any]:
    """The fit's inputs, built as the reference builds them (Python float64, then float32).

    Each row is divided by its sum in Python floats; the marginal successes and failures are sums
    of those cells (failures from p01 + p00 and p10 + p00, never ``1 - p``); only then is the
    tensor made. Returns the float32 tensors (proportions with columns [understanding failures,
    understanding successes, generation successes, generation failures], p11, p00).
    """
    import torch

    columns, both_right, both_wrong = [], [], []
    for row in rows:
        total = sum(row)
        p11, p10, p01, p00 = (value / total for value in row)
        columns.append([p01 + p00, p11 + p10, p11 + p01, p10 + p00])
        both_right.append(p11)
        both_wrong.append(p00)
    return tuple(torch.tensor(values, dtype=torch.float32) for values in (columns, both_right, both_wrong))


def _fit_one(rows: list[list[float]], num_steps: int) -> dict[str, Any]:
    """Fit one model's rows in the reference's order of operations; return gaps, Δ, lowest loss.

    The fit amplifies round-off, so the graph of operations decides the digits: this follows the
    reference step for step (counts as column views of ``proportions * N``, Σ⁻¹ before the
    likelihood, the Cholesky factor by clone and index-put, the prior as an einsum).
    """
    import torch
    import torch.nn.functional as F

    torch.manual_seed(_SEED)
    eps = 1e-8
    proportions, p11, p00 = _reference_tensors(rows)
    counts = proportions * _N
    fail_u, succ_u, succ_g, fail_g = counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3]
    start_u = torch.clamp(succ_u / (fail_u + succ_u + eps), 1e-5, 1.0 - 1e-5)
    start_g = torch.clamp(succ_g / (fail_g + succ_g + eps), 1e-5, 1.0 - 1e-5)
    theta0 = torch.stack([torch.logit(start_u), torch.logit(start_g)], dim=1)
    theta = torch.nn.Parameter(theta0.clone())
    beta = torch.nn.Parameter(torch.zeros(2))
    mu = torch.nn.Parameter(theta0.mean(dim=0))
    l_raw = torch.nn.Parameter(torch.tensor([[0.1, 0.0], [0.05, 0.1]], dtype=torch.float32))
    optimizer = torch.optim.AdamW([theta, beta, mu, l_raw], lr=0.05, weight_decay=1e-4)
    on_diagonal = torch.arange(2)
    best_loss, best_theta = math.inf, None
    for _ in range(num_steps):
        optimizer.zero_grad()
        chol = torch.tril(l_raw).clone()
        chol[on_diagonal, on_diagonal] = F.softplus(chol[on_diagonal, on_diagonal]) + 1e-4
        sigma_inv = torch.linalg.inv(chol @ chol.T)
        prob_u = torch.sigmoid(theta[:, 0] - beta[0])
        prob_g = torch.sigmoid(theta[:, 1] - beta[1])
        neg_loglik = -(
            succ_u * torch.log(prob_u + eps) + fail_u * torch.log(1.0 - prob_u + eps)
            + succ_g * torch.log(prob_g + eps) + fail_g * torch.log(1.0 - prob_g + eps)
        ).sum()
        centred = theta - mu
        prior = 0.5 * torch.einsum("ni,ij,nj->n", centred, sigma_inv, centred).sum()
        log_det = proportions.shape[0] * torch.log(torch.diagonal(chol)).sum()
        ridge = 1e-3 * (beta.pow(2).sum() + mu.pow(2).sum())
        loss = neg_loglik + prior + log_det + ridge
        loss.backward()
        optimizer.step()
        value = float(loss.detach())
        if value < best_loss:
            best_loss, best_theta = value, theta.detach().clone()
    if best_theta is None:  # no step, or no finite loss at any step (the reference raises too)
        raise GapevalError(
            f"the legacy fit reached no finite loss in {num_steps} steps; no gap can be reported"
        )
    delta = best_theta[:, 0] - best_theta[:, 1]
    g = torch.clamp(delta.abs() / (1.0 + delta.abs()), 1e-6, 1.0 - 1e-6)
    gap = torch.sigmoid(torch.logit(g) + _LAMBDA_FAIL * p00 - _LAMBDA_SUCC * p11)
    return {"gap": gap.tolist(), "delta": delta.tolist(), "loss": best_loss}


def legacy_gap_score(
    joint: Mapping[Hashable, Sequence[Sequence[float]]], *, _num_steps: int = _NUM_STEPS
) -> dict[Hashable, dict[str, Any]]:
    """Legacy GapEval-2026 gap score of each model from its joint-proportion rows.

    Reproduces the reference ``evaluate.py`` that accompanies the GapEval paper, in its order of
    operations (torch, float32, one CPU thread, AdamW lr 0.05 / weight decay 1e-4 over θ, β, μ,
    L_raw, 2000 steps, seed 42, pseudo-count N = 1000, θ of the lowest-loss step kept as it is
    after that step's update, results rounded to 6 decimals; ``docs/methods.md`` §2). For comparison with
    published GapEval numbers only; read the known defects in this module's docstring and in
    ``docs/gap_legacy.md`` before quoting it.

    Parameters
    ----------
    joint : mapping of model id to list of rows
        ``{model: [[p11, p10, p01, p00], ...]}``, one row per category; each row has 4 values,
        none negative, summing to 1 within 5e-3 (rows are divided by their sum).
    _num_steps : int
        Private: number of optimiser steps (default 2000, the reference value). Exists only to
        demonstrate the drift with step count; any other value is not the legacy score.

    Returns
    -------
    dict
        Per model: ``gaps`` (list of Gap_r rounded to 6 decimals, in row order), ``gap_mean``
        (the rounded mean of the rounded gaps), ``delta`` (Δ_r = θ_rU − θ_rG rounded to 6
        decimals; its sign is what the legacy score discards), ``loss`` (the lowest loss),
        ``method`` (``"gapeval-2026"``) and ``label`` (:data:`LEGACY_LABEL`).

    Raises
    ------
    GapevalError
        (a ``ValueError``) if a model has no rows, a row does not have 4 values, a value is
        negative or not finite, or a row's sum is off 1 by more than 5e-3; the message names the
        model, the row index, the sum and the row.

    Notes
    -----
    torch is imported inside this function; its thread count is set to 1 for the fit and restored
    afterwards, and its global random state is restored as well (the fit itself draws no random
    numbers; the seed is set to mirror the reference). A non-finite value is rejected here,
    whereas the checks as specified in docs/methods.md (negative, |sum − 1| > 5e-3) let NaN through.

    Examples
    --------
    >>> result = legacy_gap_score({"m": [[0.3, 0.3, 0.1, 0.3]] * 4})
    >>> result["m"]["method"], round(result["m"]["gap_mean"], 3)
    ('gapeval-2026', 0.571)
    """
    if not isinstance(joint, Mapping) or len(joint) == 0:
        raise GapevalError(
            "joint must be a non-empty mapping {model: [[p11, p10, p01, p00], ...]}, got "
            f"{type(joint).__name__}"
        )
    checked = {model: _validated_rows(model, rows) for model, rows in joint.items()}
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            fits = {model: _fit_one(rows, _num_steps) for model, rows in checked.items()}
    finally:
        torch.set_num_threads(threads)
    result = {}
    for model, fit in fits.items():
        gaps = [round(value, 6) for value in fit["gap"]]
        result[model] = {
            "gaps": gaps,
            "gap_mean": round(sum(gaps) / len(gaps), 6),
            "delta": [round(value, 6) for value in fit["delta"]],
            "loss": fit["loss"],
            "method": LEGACY_METHOD,
            "label": LEGACY_LABEL,
        }
    return result


def legacy_gap_score_from_responses(
    responses: pd.DataFrame,
    *,
    by: Hashable = "category",
    model: Hashable = "model",
    item: Hashable = "item",
    direction: Hashable = "direction",
    score: Hashable = "score",
    pair: Hashable = "pair",
    threshold: float | None = None,
) -> dict[Hashable, dict[str, Any]]:
    """Legacy GapEval-2026 gap score from the long responses table.

    Builds each model's rows ``[p11, p10, p01, p00]`` with :func:`gapeval.gap.joint.joint_table`
    (one row per ``by`` group in sorted order, from pairs the model answered in both forms) and
    passes them to :func:`legacy_gap_score`. For comparison with published GapEval numbers only.

    Parameters
    ----------
    responses : pandas.DataFrame
        The long responses table (``docs/design.md`` §4). Not modified.
    by : hashable
        Column defining the rows of the joint table (the reference uses categories).
    model, item, direction, score, pair : hashable
        Names of those columns in ``responses``.
    threshold : float, optional
        Scores must be 0/1 unless this is given (see :func:`~gapeval.gap.joint.joint_table`).

    Returns
    -------
    dict
        As :func:`legacy_gap_score`, with one more entry per model: ``groups``, the ``by`` value
        of each row, and ``n_pairs``, the number of complete pairs behind each row.

    Raises
    ------
    GapevalError
        For the input problems :func:`~gapeval.gap.joint.joint_table` reports.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [("m", f"q{i}", "c", d, s) for i, (su, sg) in enumerate([(1, 1), (1, 0), (0, 0)])
    ...         for d, s in (("understanding", su), ("generation", sg))]
    >>> df = pd.DataFrame(rows, columns=["model", "pair", "category", "direction", "score"])
    >>> df["item"] = df["pair"] + df["direction"].str[0]
    >>> result = legacy_gap_score_from_responses(df)
    >>> result["m"]["groups"], result["m"]["n_pairs"]
    (['c'], [3])
    """
    if by is None:
        raise GapevalError("the legacy score needs rows per group: pass by='<column>'")
    table = joint_table(
        responses, by=by, model=model, item=item, direction=direction, score=score, pair=pair,
        threshold=threshold,
    )
    cells = ["p11", "p10", "p01", "p00"]
    grouped = dict(tuple(table.groupby(model, sort=False)))
    result = legacy_gap_score({key: part[cells].to_numpy() for key, part in grouped.items()})
    for key, part in grouped.items():
        result[key]["groups"] = part[by].tolist()
        result[key]["n_pairs"] = part["n_pairs"].astype(int).tolist()
    return result

