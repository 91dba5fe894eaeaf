r"""Adaptive item choice: ask the questions that most reduce the expected posterior variance of a model's gap.

:class:`GapVarianceChooser` satisfies the runner's ``ItemChooser`` protocol
(``gapeval.adaptive.chooser``; structurally, nothing is imported from there): given one model's
scored answers so far it returns the bank units to ask next, a batch at a time, or ``()`` to stop.

**The criterion.** The model's posterior is computed on the grid of :mod:`gapeval.calibration.grid`,
jointly over ``num_draws`` calibration draws s and grid points theta (weights :math:`W(s, \theta)`).
For a candidate item j with predictive probability :math:`p_j(s, \theta)` of a right record (its
chance level, the judge's error rates and the pair effect integrated out), the expected posterior
variance of the gap after its answer is exactly

.. math::

    E_y[\operatorname{Var}(\text{gap} \mid y)] = \operatorname{Var}(\text{gap})
        - \frac{\operatorname{Cov}_W(\text{gap}, p_j)^2}{P_j (1 - P_j)}, \qquad P_j = E_W[p_j],

so the chooser ranks items by :math:`\operatorname{Cov}^2 / (P(1-P))` (a preposterior analysis on the
grid, no normal approximation). A **batch** is chosen greedily and still exactly: after each pick
the posterior is split into its two branches (the answer right or wrong, weighted by their
predictive probabilities), and the next pick maximises the expected reduction over the branches, so
a batch does not ask five copies of the same kind of item. The tree grows to ``max_branches``
branches (6 picks at the default 64); later picks of a large batch are ranked on that tree.

Approximations, said plainly: an item whose partner form was already answered is ranked with its
predictive probability marginal over the pair effect (not conditioned on the partner's answer); a
dialogue chosen as a whole unit is valued as the sum of its items' reductions. The stopping rule
uses this grid's interval (``num_draws`` draws); the reported score
(:func:`~gapeval.calibration.scoring.score_with_calibration`, all draws) can differ from it by a
few hundredths.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np

from gapeval.calibration.grid import GRID_POINTS, Answers, GridPosterior, _item_probabilities, _nodes, answer_weights
from gapeval.calibration.grid import PRIOR_SCALE, check_prior, posterior_on_grid
from gapeval.calibration.record import Calibration, CalibrationError
from gapeval.calibration.scoring import encode_answers
from gapeval.responses import UNDERSTANDING_SLOT

__all__ = ["GapVarianceChooser", "CHOOSER_DRAWS", "MAX_BRANCHES"]

#: Calibration draws the chooser mixes over (evenly thinned).
CHOOSER_DRAWS = 32
#: Largest number of answer branches a batch is planned over.
MAX_BRANCHES = 64


class GapVarianceChooser:
    """Choose the questions that most reduce the expected posterior variance of a model's gap.

    Parameters
    ----------
    calibration : Calibration
        The calibrated bank.
    target_width : float
        Stop when the gap's interval at ``level`` is at most this wide (logits).
    level : float
        Interval level of the stopping rule.
    units : mapping of str to sequence of str, optional
        Units asked as a whole (e.g. a dialogue id -> its item ids); every calibrated item not in a
        unit is a unit of its own. A unit is never asked twice, and costs one call per item.
    num_draws : int
        Calibration draws the posterior and the criterion are averaged over.
    grid_points : int
        Grid points per ability.
    judge_labels : bool
        Read the score of an item the calibration cohort had judged as that judge's label (its error
        rates enter); False reads every score as a direct one.
    max_branches : int
        Answer branches a batch is planned over (see the module docstring).
    prior, prior_scale
        The model's ability prior, as in :func:`~gapeval.calibration.grid.posterior_on_grid`
        (use the same values when scoring the answers).
    randomesque : int
        Exposure control: each pick is drawn at random among the ``randomesque`` units of largest
        expected reduction (1: always the best). Against capitalization on calibration error, the
        items whose parameters look most informative are not always the ones asked.
    seed : int
        Seed of the randomesque draws; with the answers so far it determines the choice, so a resumed
        run repeats it.

    Examples
    --------
    >>> from gapeval.calibration.record import Calibration
    >>> import numpy as np
    >>> items = ("q0-g", "q0-u", "q1-g", "q1-u")
    >>> cal = Calibration(item_ids=items, directions=("generation", "understanding") * 2,
    ...                   pairs=("q0", "q0", "q1", "q1"), chance=np.zeros(4), item_judges=(None,) * 4, judge_ids=(),
    ...                   a=np.ones((2, 4)), b=np.array([[0.0, 0.0, 1.0, -1.0]] * 2), sigma_gamma=np.zeros(2),
    ...                   mu=np.zeros((2, 2)), tau=np.ones((2, 2)), rho=np.zeros(2), chance_draws=None,
    ...                   sensitivity=np.zeros((2, 0)), specificity=np.zeros((2, 0)))
    >>> chooser = GapVarianceChooser(cal, target_width=0.5)
    >>> sorted(chooser.choose([], batch=2, budget_left=10))       # the two items at the prior's centre (b = 0)
    ['q0-g', 'q0-u']
    >>> chooser.choose([("q0-g", 1.0)], batch=2, budget_left=0)
    ()
    """

    def __init__(self, calibration: Calibration, *, target_width: float = 0.5, level: float = 0.95,
                 units: Mapping[str, Sequence[str]] | None = None, num_draws: int = CHOOSER_DRAWS,
                 grid_points: int = GRID_POINTS, judge_labels: bool = True, max_branches: int = MAX_BRANCHES,
                 prior: str = "predictive", prior_scale: float = PRIOR_SCALE, randomesque: int = 1, seed: int = 0) -> None:
        if not isinstance(calibration, Calibration):
            raise CalibrationError(f"calibration must be a Calibration (load_calibration(path)), got "
                                   f"{type(calibration).__name__}")
        if isinstance(target_width, bool) or not isinstance(target_width, int | float) or not target_width > 0:
            raise CalibrationError(f"target_width={target_width!r} must be a positive interval width in logits, "
                                   "e.g. 0.5")
        if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
            raise CalibrationError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
        if calibration.points != 1:
            raise CalibrationError(f"the calibration has points={calibration.points} (partial credit); adaptive "
                                   "choice is implemented for 0/1 answers only: run the full bank")
        check_prior(prior, prior_scale)
        for name, value in (("num_draws", num_draws), ("grid_points", grid_points), ("max_branches", max_branches),
                            ("randomesque", randomesque)):
            if isinstance(value, bool) or not isinstance(value, int) or value < (5 if name == "grid_points" else 1):
                raise CalibrationError(f"{name}={value!r} must be a positive integer")
        self.calibration = calibration
        self.target_width = float(target_width)
        self.level = float(level)
        self.judge_labels = bool(judge_labels)
        self.max_branches = max_branches
        self.grid_points = grid_points
        self.prior, self.prior_scale = prior, float(prior_scale)
        self.randomesque, self.seed = randomesque, int(seed)
        self._draws = np.linspace(0, calibration.num_draws - 1, min(num_draws, calibration.num_draws)).round()
        self._draws = self._draws.astype(int)
        self._units = _unit_table(calibration, units)
        self._last: tuple | None = None   # (answered, posterior) of the last call: a cache, not state

    # ------------------------------------------------------------------ public
    def posterior(self, answered: Sequence[tuple[str, float]]) -> GridPosterior:
        """The model's grid posterior given ``answered`` (the chooser's draws; the last one is remembered)."""
        key = tuple((str(item), float(score)) for item, score in answered)
        if self._last is None or self._last[0] != key:
            post = posterior_on_grid(self.calibration, self._answers(answered), draws=self._draws,
                                     points=self.grid_points, prior=self.prior, prior_scale=self.prior_scale)
            self._last = (key, post)
        return self._last[1]

    def status(self, answered: Sequence[tuple[str, float]]) -> dict[str, float]:
        """The gap's posterior mean, interval and width at ``level`` given ``answered`` (for a choice log)."""
        summary = self.posterior(answered).summary(self.level)
        return {"gap": summary["gap"], "gap_lower": summary["gap_lower"], "gap_upper": summary["gap_upper"],
                "width": summary["gap_upper"] - summary["gap_lower"]}

    def choose(self, answered: Sequence[tuple[str, float]], *, batch: int, budget_left: int) -> tuple[str, ...]:
        """Bank units to ask next (at most ``batch``), never one already answered; ``()`` means stop.

        Stops when the gap's interval is at most ``target_width`` wide, when ``budget_left`` cannot
        pay for any unit, or when no unit is expected to narrow it. A pure, deterministic function
        of its inputs (ties go to the unit id that sorts first).
        """
        if batch < 1 or budget_left < 1:
            return ()
        post = self.posterior(answered)
        summary = post.summary(self.level)
        if summary["gap_upper"] - summary["gap_lower"] <= self.target_width:
            return ()
        asked = {str(item) for item, _ in answered}
        open_units = [k for k, members in enumerate(self._units[1]) if not asked.intersection(members)]
        if not open_units:
            return ()
        items = np.unique(np.concatenate([self._units[2][k] for k in open_units]))
        rng = np.random.default_rng([self.seed, *_digest(sorted(asked))])
        return self._plan(post, items, open_units, batch=batch, budget_left=budget_left, rng=rng)

    # ------------------------------------------------------------------ internals
    def _answers(self, answered) -> Answers:
        cal = self.calibration
        ids = [str(item) for item, _ in answered]
        scores = np.array([float(s) for _, s in answered], dtype=float)
        if len(scores) and (~np.isin(scores, (0.0, 1.0))).any():
            bad = sorted(set(scores[~np.isin(scores, (0.0, 1.0))].tolist()))[:5]
            raise CalibrationError(f"scores {bad} are not 0/1; the calibration is of 0/1 answers (points=1): "
                                   "threshold the scores before choosing")
        judges = None
        if self.judge_labels:
            judges = [cal.item_judges[cal.item_code[i]] if i in cal.item_code else None for i in ids]
        return encode_answers(cal, ids, scores.astype(np.int64), judges)

    def _predictive(self, items: np.ndarray, axes) -> np.ndarray:
        """P(a right record of item | theta on its axis, draw), pair effect integrated out, (draws, items, n)."""
        cal = self.calibration
        judges = None
        if self.judge_labels:
            judges = [cal.item_judges[i] for i in items]
        right = encode_answers(cal, [cal.item_ids[i] for i in items], np.ones(len(items), dtype=np.int64), judges)
        _, weights = answer_weights(cal, right, self._draws)
        _, node_w = _nodes(cal.num_pairs)
        prob = _item_probabilities(cal, items, weights, self._draws, axes)
        return np.clip(np.einsum("sjqx,q->sjx", prob, node_w), 1e-9, 1 - 1e-9)

    def _plan(self, post: GridPosterior, items: np.ndarray, open_units: list[int], *, batch: int,
              budget_left: int, rng: np.random.Generator) -> tuple[str, ...]:
        cal = self.calibration
        unit_ids, _, unit_codes = self._units
        pred = self._predictive(items, post.axes)                                  # (S, J, n)
        is_u = cal.item_slot[items] == UNDERSTANDING_SLOT
        column = {int(i): k for k, i in enumerate(items)}
        gap = post.gap_grid
        flat_u = np.swapaxes(pred[:, is_u], 0, 1).reshape(int(is_u.sum()), -1)         # (J_U, S * n)
        flat_g = np.swapaxes(pred[:, ~is_u], 0, 1).reshape(int((~is_u).sum()), -1)
        branches = [(1.0, post.weights)]    # (probability, joint weights summing to 1)
        cols = [np.array([column[int(i)] for i in unit_codes[k]]) for k in open_units]
        flat_cols = np.concatenate(cols)
        starts = np.cumsum([0] + [len(c) for c in cols[:-1]])
        size = np.array([len(c) for c in cols])
        available = np.ones(len(open_units), dtype=bool)
        chosen: list[int] = []
        spent = 0
        for _ in range(batch):
            reduction = np.empty(len(items))
            reduction[is_u], reduction[~is_u] = _expected_reduction(branches, gap, flat_u, flat_g)
            value = np.add.reduceat(reduction[flat_cols], starts)
            value[~available | (spent + size > budget_left)] = -np.inf
            best = int(np.argmax(value))                 # the first maximum: ties go to the unit id sorted first
            if not value[best] > 1e-12:
                break
            if self.randomesque > 1:
                top = np.argsort(-value, kind="stable")[:self.randomesque]
                top = top[value[top] > 1e-12]
                best = int(top[rng.integers(len(top))])
            available[best] = False
            chosen.append(open_units[best])
            spent += int(size[best])
            for c in cols[best]:
                branches = self._split(branches, pred[:, c], bool(is_u[c]))
        return tuple(unit_ids[k] for k in chosen)

    def _split(self, branches, p: np.ndarray, understanding: bool):
        """Each branch into its two answers (right, wrong), while the tree is under ``max_branches``."""
        if 2 * len(branches) > self.max_branches:
            return branches
        like = p[:, :, None] if understanding else p[:, None, :]                    # (S, nU, 1) or (S, 1, nG)
        out = []
        for prob, w in branches:
            for outcome in (like, 1.0 - like):
                new = w * outcome
                mass = new.sum()
                if mass > 0:
                    out.append((prob * mass, new / mass))
        return out


def _digest(items: Sequence[str]) -> tuple[int, ...]:
    """Four 32-bit words of the sha256 of the answered item ids (seeds the randomesque draws)."""
    digest = hashlib.sha256("\n".join(items).encode()).digest()
    return tuple(int.from_bytes(digest[k:k + 4], "little") for k in range(0, 16, 4))


def _expected_reduction(branches, gap: np.ndarray, flat_u: np.ndarray, flat_g: np.ndarray):
    """sum_b P(b) Cov_b(gap, p_j)^2 / (P_bj (1 - P_bj)) of every understanding and generation candidate.

    ``branches`` holds (probability, joint weights (S, nU, nG)); ``flat_u``/``flat_g`` the candidates'
    predictive probabilities, (J, S * n) on their own axis. One matrix product per direction.
    """
    prob = np.array([p for p, _ in branches])
    w = np.stack([b for _, b in branches])                                             # (B, S, nU, nG), each sums to 1
    centred = w * (gap - (w * gap).sum(axis=(1, 2, 3), keepdims=True))
    out = []
    for flat, axis in ((flat_u, 3), (flat_g, 2)):
        cov = flat @ centred.sum(axis=axis).reshape(len(branches), -1).T                # (J, B)
        p1 = flat @ w.sum(axis=axis).reshape(len(branches), -1).T
        out.append((cov ** 2 / np.clip(p1 * (1.0 - p1), 1e-12, None)) @ prob)
    return out


def _unit_table(cal: Calibration, units: Mapping[str, Sequence[str]] | None):
    """(unit ids, item-id sets, item-code arrays), sorted by unit id; uncovered items are their own units."""
    table: dict[str, tuple[str, ...]] = {}
    covered: set[str] = set()
    for unit_id, members in (units or {}).items():
        members = tuple(str(m) for m in members)
        unknown = [m for m in members if m not in cal.item_code]
        if unknown or not members:
            raise CalibrationError(f"unit {unit_id!r} lists items {unknown[:5] or '(none)'} that are not in the "
                                   "calibration; a unit must list calibrated item ids")
        overlap = covered.intersection(members)
        if overlap:
            raise CalibrationError(f"items {sorted(overlap)[:5]} belong to several units (again in {unit_id!r}); "
                                   "each item belongs to one unit")
        covered.update(members)
        table[str(unit_id)] = members
    for item in cal.item_ids:
        if item not in covered:
            if item in table:
                raise CalibrationError(f"unit id {item!r} is also an item id outside that unit; rename the unit")
            table[item] = (item,)
    ids = tuple(sorted(table))
    return ids, [frozenset(table[u]) for u in ids], [np.array([cal.item_code[m] for m in table[u]]) for u in ids]
