"""Containment degrees of freedom of the fixed effects of a mixed model, from the design alone.

A fixed effect whose column a random term contains — the intercept and the turn slope when every
model has its own intercept and slope, ``(1 + turn | model)`` — is estimated from as many
independent pieces of information as that term has levels, not from the number of answers. With 6
models its Wald z interval treats an SD estimated from 6 model effects as known and runs narrow
(issue 17: the 0/1 decay ``turn`` effect covered 0.85–0.88 with z, glmer's and ours alike). SAS's
PROC GLIMMIX, by default for models with random effects (``DDFM=CONTAIN``), refers such an effect
to Student's t whose df are the rank contribution of the random effect that contains it; nlme
(Pinheiro & Bates 2000, section 2.4.2) counts the groups less the fixed effects estimated between
them.

Rule used here, for every fixed column ``x_f`` and random term ``r`` with grouping factor ``g``
(``L`` levels) and effect columns ``z_1 … z_k``:

* ``r`` *contains* ``x_f`` when ``x_f`` lies in the span of the term's design ``Z_r`` (the columns
  ``z_c · 1[g = l]``): within every level of ``g``, ``x_f`` is a linear combination of the term's
  columns — SAS's syntactic containment, decided numerically (``turn`` is contained in
  ``(1 + turn | model)`` and in ``(1 + turn:understanding + turn:generation | model)``).
* ``df_r = L − p_r``, with ``p_r`` the rank of the fixed columns that are constant within every level
  of ``g`` (the effects estimated *between* its levels: the intercept and, say, a model-level
  covariate) — the rank contribution of the term's levels beyond the fixed effects.
* ``df_f`` is the smallest ``df_r`` over the terms that contain ``x_f``; ``inf`` (Wald z) when no term
  contains it — an effect estimated within the levels of every term, such as the direction × turn
  effect under ``(1 + turn | model)`` with nested runs, whose information grows with the answers.

The df depend on the design, not on the estimates: a singular fit keeps them, as in SAS.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gapeval.decay.terms import TermDesign

__all__ = ["containment_df"]

_TOL = 1e-8


def _in_span_by_level(x: np.ndarray, design: TermDesign) -> np.ndarray:
    """For every column of ``x`` (n, p): does it lie, within each level, in the span of the term's columns?"""
    inside = np.ones(x.shape[1], dtype=bool)
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    order = np.argsort(design.codes, kind="stable")
    bounds = np.flatnonzero(np.diff(design.codes[order])) + 1
    for rows in np.split(order, bounds):
        z, xs = design.values[rows], x[rows]
        coef, *_ = np.linalg.lstsq(z, xs, rcond=None)
        inside &= np.abs(z @ coef - xs).max(axis=0) <= _TOL * scale
        if not inside.any():
            break
    return inside


def _between_rank(x: np.ndarray, codes: np.ndarray) -> int:
    """Rank of the fixed columns that are constant within every level of the grouping factor."""
    frame_min = np.full((codes.max() + 1, x.shape[1]), np.inf)
    frame_max = np.full_like(frame_min, -np.inf)
    np.minimum.at(frame_min, codes, x)
    np.maximum.at(frame_max, codes, x)
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    constant = (frame_max - frame_min).max(axis=0) <= _TOL * scale
    return int(np.linalg.matrix_rank(x[:, constant])) if constant.any() else 0


def containment_df(x: np.ndarray, designs: Sequence[TermDesign]) -> np.ndarray:
    """Between-within df of every fixed effect (module docstring); ``inf`` where no term contains it.

    Parameters
    ----------
    x : ndarray, shape (n, p)
        The fixed-effects design matrix (intercept column included).
    designs : sequence of TermDesign
        The random terms laid out on the same rows.

    Returns
    -------
    ndarray, shape (p,)
        The df of each column; ``inf`` for effects no random term contains, ``nan`` where the
        containing term has no level left over (``L ≤ p_r``: no between-level information to
        estimate the effect's sampling variance from).

    Examples
    --------
    >>> import numpy as np
    >>> from gapeval.decay.terms import RandomTerm, TermDesign
    >>> model = np.repeat(np.arange(6), 4)
    >>> turn = np.tile(np.arange(4.0), 6)
    >>> x = np.column_stack([np.ones(24), turn, np.tile([0.0, 1.0], 12)])
    >>> term = TermDesign(RandomTerm(("model",), ("Intercept", "turn")), model, tuple(range(6)),
    ...                   np.column_stack([np.ones(24), turn]))
    >>> containment_df(x, [term]).tolist()
    [5.0, 5.0, inf]
    """
    x = np.asarray(x, dtype=float)
    df = np.full(x.shape[1], np.inf)
    for design in designs:
        contained = _in_span_by_level(x, design)
        if not contained.any():
            continue
        df_term = float(design.num_levels - _between_rank(x, design.codes))
        current = df[contained]
        df[contained] = np.nan if df_term < 1 else np.where(np.isnan(current), np.nan, np.minimum(current, df_term))
    return df
