"""The model catalogue and the fitting problem handed to every estimator.

``resolve_problem`` turns (data, model name, Q-matrix) into a :class:`FitProblem`: the NumPyro model
function, its static keyword arguments, and the coded data. Estimators (NUTS, SVI, MAP, and
classical ones such as marginal ML) all take a ``FitProblem``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from irt import models
from irt.data import ResponseData
from irt.errors import IRTError
from irt.qmatrix import validate_q_matrix

__all__ = ["FitProblem", "MODEL_NAMES", "chance_levels", "resolve_problem"]

#: Public model names accepted by :func:`irt.fit`.
MODEL_NAMES: tuple[str, ...] = ("rasch", "1pl", "2pl", "3pl", "graded")

_BINARY_ONLY = {"rasch", "1pl", "2pl", "3pl"}
_MULTIDIMENSIONAL = {"2pl": models.mirt_2pl, "graded": models.mirt_graded}
_UNIDIMENSIONAL: dict[str, Callable[..., Any]] = {
    "rasch": models.rasch, "1pl": models.onepl, "2pl": models.twopl, "3pl": models.threepl, "graded": models.graded,
}


@dataclass(frozen=True, eq=False)
class FitProblem:
    """Everything an estimator needs.

    Attributes
    ----------
    data : ResponseData
        The validated responses.
    model : str
        Public model name (``"2pl"``, ...).
    model_fn : callable
        The NumPyro model function.
    q_matrix : numpy.ndarray
        Items x dimensions loading pattern (a single column for unidimensional models).
    dimension_ids : tuple
        Dimension labels.
    num_categories : numpy.ndarray
        Categories per item.
    chance : numpy.ndarray or None
        Chance level of each item (``guessing=``): the 3PL's lower asymptotes are centred on it, or
        fixed at it when ``estimate_guessing`` is false.
    estimate_guessing : bool
        Whether the lower asymptotes are estimated around ``chance``.
    """

    data: ResponseData
    model: str
    model_fn: Callable[..., Any] = field(repr=False)
    q_matrix: np.ndarray = field(repr=False)
    dimension_ids: tuple = ()
    num_categories: np.ndarray = field(repr=False, default=None)
    chance: np.ndarray | None = field(repr=False, default=None)
    estimate_guessing: bool = True

    @property
    def num_dimensions(self) -> int:
        """Number of latent dimensions."""
        return self.q_matrix.shape[1]

    @property
    def static_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``model_fn`` other than the data arrays."""
        kwargs: dict[str, Any] = {"num_respondents": self.data.num_respondents, "num_items": self.data.num_items}
        if self.num_dimensions > 1:
            kwargs["q_matrix"] = self.q_matrix
        if self.model == "graded":
            kwargs["num_categories"] = self.num_categories
        if self.chance is not None:
            kwargs.update(chance=self.chance, estimate_guessing=self.estimate_guessing)
        return kwargs

    def model_args(self) -> dict[str, Any]:
        """All keyword arguments of ``model_fn`` including the observed data (as NumPy arrays)."""
        return {"respondent": self.data.respondent, "item": self.data.item, "y": self.data.response,
                **self.static_kwargs}


def chance_levels(guessing: Any, item_ids: tuple) -> np.ndarray:
    """``guessing`` as one chance level per item, in [0, 1).

    ``guessing`` is a number (every item), a sequence in the order of ``item_ids``, or a mapping
    (dict or pandas Series) item id -> level where unlisted items get 0 (free answers).

    Examples
    --------
    >>> chance_levels({"q2": 0.25}, ("q1", "q2")).tolist()
    [0.0, 0.25]
    """
    if isinstance(guessing, dict) or hasattr(guessing, "to_dict"):
        mapping = dict(guessing.to_dict() if hasattr(guessing, "to_dict") else guessing)
        unknown = sorted(set(mapping) - set(item_ids), key=str)
        if unknown:
            raise ValueError(f"guessing names items {unknown[:5]} that are not in the data; give chance levels "
                             "of the data's items (data.item_ids)")
        levels = np.array([float(mapping.get(i, 0.0)) for i in item_ids])
    elif np.ndim(guessing) == 0:
        levels = np.full(len(item_ids), float(guessing))
    else:
        levels = np.asarray(guessing, dtype=float)
        if levels.shape != (len(item_ids),):
            raise ValueError(f"guessing has {levels.size} chance levels for {len(item_ids)} items; give one per "
                             "item in the order of data.item_ids, or a mapping item id -> level")
    bad = ~((levels >= 0) & (levels < 1))
    if bad.any():
        raise ValueError(f"guessing has chance levels {levels[bad][:5].tolist()} outside [0, 1); a chance level is "
                         "the probability of a right guess (1 / number of options; 0 for a free answer)")
    return levels


def resolve_problem(data: ResponseData, model: str, q_matrix: Any = None, guessing: Any = None) -> FitProblem:
    """Check that ``model`` suits ``data`` and build the :class:`FitProblem`.

    With ``guessing`` (chance levels, :func:`chance_levels`), ``"2pl"`` becomes the 3PL with its
    lower asymptotes fixed at them and ``"3pl"`` estimates them from a Beta prior centred on them.

    Raises
    ------
    ValueError
        Unknown model name, non-binary responses for a binary model, a bad Q-matrix, a
        multidimensional request for a model that has no multidimensional form, or ``guessing``
        with a model other than 2PL/3PL or with bad chance levels.
    """
    if not isinstance(data, ResponseData):
        raise IRTError(f"data must be an irt.ResponseData (got {type(data).__name__}); build it with "
                         "ResponseData.from_long, from_wide or from_patterns")
    if model not in _UNIDIMENSIONAL:
        raise IRTError(f"unknown model {model!r}; choose one of {list(MODEL_NAMES)}")
    if model in _BINARY_ONLY and not data.is_binary:
        cats = sorted(set(np.unique(data.response).tolist()))
        raise IRTError(f"model {model!r} needs 0/1 responses but the data have categories {cats}; "
                         "use model='graded' for ordered categories")
    if q_matrix is None:
        q, dims = data.default_q_matrix(), data.dimension_ids or ("theta",)
    else:
        q, dims = validate_q_matrix(q_matrix, item_ids=data.item_ids, dimension_ids=data.dimension_ids)
    if q.shape[1] > 1 and model not in _MULTIDIMENSIONAL:
        raise IRTError(f"model {model!r} has no multidimensional form; with a Q-matrix of {q.shape[1]} "
                         f"dimensions use one of {sorted(_MULTIDIMENSIONAL)}")
    fn = _MULTIDIMENSIONAL[model] if q.shape[1] > 1 else _UNIDIMENSIONAL[model]
    chance, estimate = None, True
    if guessing is not None:
        if model not in ("2pl", "3pl") or q.shape[1] > 1:
            raise ValueError(f"guessing= (chance levels) applies to the unidimensional 2pl (fixed lower asymptotes) "
                             f"and 3pl (estimated around them), not to model {model!r} with {q.shape[1]} dimension(s)")
        chance, estimate = chance_levels(guessing, tuple(data.item_ids)), model == "3pl"
        model, fn = "3pl", models.threepl
    return FitProblem(data=data, model=model, model_fn=fn, q_matrix=q, dimension_ids=tuple(dims),
                      num_categories=data.num_categories, chance=chance, estimate_guessing=estimate)
