"""gapeval: does a multimodal model understand as well as it generates?

The benchmark side of the toolkit: item banks, adapters, runner, store, scorers, the Gap Score,
decay models, tables and the command line. It stands on the standalone IRT library :mod:`irt`.

Importing this package never imports torch, transformers or diffusers; the functions that need
them import them when called.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
