"""Model calls counted from a run's store: what a run (adaptive or full) cost, per model.

A call is a request the model answered or failed: every stored answer step except a ``final``
that repeats a chosen candidate without calling the model (``copied_from``), plus every logged
error (a failed call is still a call, and a resumed run asks it again).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

__all__ = ["calls_per_model", "model_calls"]


def model_calls(store: Any, model: str | None = None) -> dict[str, int]:
    """Calls per model recorded in an open :class:`~gapeval.store.Store` (of ``model`` only, if given)."""
    counts: Counter[str] = Counter()
    for answer in store.answers(model=model):
        counts[answer.key.model] += answer.request.copied_from is None
    for error in store.errors():
        if model is None or error.key.model == model:
            counts[error.key.model] += 1
    return dict(sorted(counts.items()))


def calls_per_model(run_dir: str | os.PathLike[str]) -> dict[str, int]:
    """Calls per model made by the run in ``run_dir``, read from its store (opened read-only).

    Examples
    --------
    >>> import tempfile
    >>> from gapeval.adapters.scripted import ScriptedAdapter
    >>> from gapeval.model_spec import ModelSpec
    >>> from gapeval.runner import RunConfig, run
    >>> folder = tempfile.mkdtemp()
    >>> config = RunConfig(models=(ModelSpec(name="mock", adapter="scripted"),), limit=2, score=False)
    >>> _ = run(config, folder, adapters={"mock": ScriptedAdapter()})
    >>> calls_per_model(folder)
    {'mock': 6}
    """
    from gapeval.store import Store

    with Store(run_dir, readonly=True) as store:
        return model_calls(store)
