"""Fit ``gap_score`` with the 0/1 likelihood's hand-written gradient (as shipped) or JAX's (as before, commit d4a8fc1).

``use_gradient("autodiff")`` makes the model sum its likelihood with
``quadrature_loglik(..., gradient="autodiff")`` (the exact form of d4a8fc1) and keys its compiled programs
apart from the shipped form's, so the two can alternate in one process, each reusing its own programs.
For the benchmarks only (``nuts_speed.py``, ``bench_warm.py --gradient``).
"""

from __future__ import annotations

from functools import partial


def use_gradient(gradient: str) -> None:
    """Make the following ``gap_score`` fits in this process use ``gradient`` (``hand`` or ``autodiff``)."""
    import gapeval.gap.fit as fit
    import gapeval.gap.model as model
    from gapeval.gap.likelihood import GRADIENTS, quadrature_loglik
    from irt.inference.compiled import layout_key

    if gradient not in GRADIENTS:
        raise ValueError(f"gradient={gradient!r} is not one of {list(GRADIENTS)}")
    model.quadrature_loglik = partial(quadrature_loglik, gradient=gradient)
    fit.layout_key = lambda *parts: layout_key(*parts, ("likelihood gradient", gradient))
