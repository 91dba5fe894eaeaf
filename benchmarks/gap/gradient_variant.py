"""Fit ``gap_score`` with the 0/1 likelihood's hand-written gradient (as shipped), JAX's (as before, commit d4a8fc1),
or another source tree's likelihood (e.g. an earlier commit's hand-written gradient, from ``git archive``).

``use_gradient("autodiff")`` makes the model sum its likelihood with
``quadrature_loglik(..., gradient="autodiff")`` (the exact form of d4a8fc1) and keys its compiled programs
apart from the shipped form's, so the two can alternate in one process, each reusing its own programs.
``use_gradient("hand", source=DIR)`` takes ``quadrature_loglik`` from ``DIR/gapeval/gap/likelihood.py`` (loaded
as a module of its own; everything else is this tree's). For the benchmarks only (``nuts_speed.py``,
``bench_warm.py --gradient``, ``profile_gradient.py --before``).
"""

from __future__ import annotations

import importlib.util
import inspect
from functools import partial
from pathlib import Path


def likelihood_module(source: Path | None):
    """``gapeval.gap.likelihood`` of this tree (None) or of the source tree ``source``."""
    if source is None:
        import gapeval.gap.likelihood as likelihood

        return likelihood
    path = Path(source).resolve() / "gapeval" / "gap" / "likelihood.py"
    spec = importlib.util.spec_from_file_location(f"likelihood_of_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def use_gradient(gradient: str, *, source: Path | None = None) -> None:
    """Make the following ``gap_score`` fits in this process use ``gradient`` (``hand`` or ``autodiff``), of the
    likelihood of this tree or of ``source``."""
    import gapeval.gap.fit as fit
    import gapeval.gap.model as model
    from irt.inference.compiled import layout_key

    likelihood = likelihood_module(source)
    if gradient not in likelihood.GRADIENTS:
        raise ValueError(f"gradient={gradient!r} is not one of {list(likelihood.GRADIENTS)}")
    model.quadrature_loglik = partial(likelihood.quadrature_loglik, gradient=gradient)
    # the observation layer's likelihood alike where that tree's takes a gradient (older trees: JAX's only)
    layer = likelihood.layer_quadrature_loglik
    takes = "gradient" in inspect.signature(layer).parameters
    model.layer_quadrature_loglik = partial(layer, gradient=gradient) if takes else layer
    tag = ("likelihood gradient", gradient) if source is None else ("likelihood gradient", gradient, str(source))
    fit.layout_key = lambda *parts: layout_key(*parts, tag)
