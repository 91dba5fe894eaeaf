"""The one entry point for estimation: :func:`fit`."""

from __future__ import annotations

from typing import Any

from irt.data import ResponseData
from irt.errors import as_seed
from irt.inference import build_options, load_estimator
from irt.problem import resolve_problem
from irt.results import FitResult

__all__ = ["fit"]


def fit(
    data: ResponseData,
    model: str = "2pl",
    *,
    method: str = "nuts",
    q_matrix: Any = None,
    guessing: Any = None,
    seed: int = 0,
    check_convergence: bool = True,
    **options: Any,
) -> FitResult:
    """Fit an item response model.

    Parameters
    ----------
    data : ResponseData
        The responses.
    model : str
        ``"rasch"``, ``"1pl"``, ``"2pl"``, ``"3pl"`` or ``"graded"``. With a Q-matrix of several
        columns (or data with a dimension column), ``"2pl"`` and ``"graded"`` become the confirmatory
        multidimensional models with correlated dimensions.
    method : str
        ``"nuts"`` (exact posterior, default), ``"svi"`` (minibatched variational, approximate),
        ``"map"`` (marginal posterior mode with θ integrated out, Laplace intervals, approximate) or
        ``"mml"`` (marginal maximum likelihood, classical).
    q_matrix : array_like or pandas.DataFrame, optional
        Items x dimensions 0/1 loading pattern. Default: the data's dimension column, else one dimension.
    guessing : float, sequence or mapping, optional
        Chance levels of the items (probability of a right guess: 1 / number of options for multiple
        choice, 0 for a free answer), as one number, one per item in ``data.item_ids`` order, or a
        mapping item id -> level (unlisted items 0). With ``"2pl"`` the lower asymptotes are fixed at
        them (the fit is then the 3PL with known asymptotes, ``model="3pl"`` in the result); with
        ``"3pl"`` each is estimated from a Beta prior centred on its level
        (:data:`irt.models.CHANCE_CONCENTRATION`). ``method`` ``"nuts"`` or ``"svi"`` only.
    seed : int
        Seed for every random step; the same seed gives the same result.
    check_convergence : bool
        For NUTS, compute R-hat, ESS and divergences and warn (:class:`irt.ConvergenceWarning`) if they fail.
    **options
        The method's settings, checked against its options record (unknown names are an error):
        NUTS :class:`irt.NUTSOptions` (``num_warmup``, ``num_samples``, ``num_chains``, ``chain_method``,
        ``target_accept_prob``, ``max_tree_depth``, ``dense_mass``, ``centered``, ``progress_bar``; its
        warm-start fields apply to flat-vector runs only); SVI :class:`irt.SVIOptions` (``num_steps``,
        ``learning_rate``, ``learning_rate_decay``, ``num_draws``, ``init_scale``, ``guide``,
        ``batch_size``); MAP ``num_draws``, ``num_quadrature``, ``num_steps``, ``learning_rate``; MML
        ``num_quadrature``, ``max_iterations``, ``tolerance``, ``newton_steps``, ``standard_errors``,
        ``guess_prior``. Defaults and what each does: ``docs/inference.md``.

    Returns
    -------
    FitResult
        Tables via ``abilities()`` and ``items()``, ``idata``, ``diagnostics()``, ``loglik``, ``score_new()``.

    Raises
    ------
    irt.IRTError
        Unknown model, method or option; an option or seed of the wrong type or range; data that do not
        suit the model; a bad Q-matrix (a ``ValueError``).

    Examples
    --------
    >>> import irt
    >>> data, truth = irt.simulate("2pl", num_respondents=100, num_items=8, seed=0)
    >>> result = irt.fit(data, "2pl", method="svi", seed=0, num_steps=500)
    >>> list(result.abilities().columns)
    ['respondent', 'dimension', 'estimate', 'sd', 'lower', 'upper']
    """
    if guessing is not None and method not in ("nuts", "svi"):
        raise ValueError(f"guessing= runs with method='nuts' or 'svi', not {method!r}")
    problem = resolve_problem(data, model, q_matrix, guessing)
    estimator = load_estimator(method)
    settings = build_options(estimator, method, options)
    result = estimator.run(problem, seed=as_seed(seed), options=settings)
    if method == "nuts" and check_convergence:
        result.check_convergence(stacklevel=3)
    return result
