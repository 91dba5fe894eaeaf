"""Contract-suite cases of the Janus adapter: a tiny random-weight Janus built once per module."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

_NEEDED = ("torch", "transformers", "tokenizers")
_MISSING = [name for name in _NEEDED if importlib.util.find_spec(name) is None]

#: Why the cases are skipped (``None``: they run).
SKIP_REASON = f"hf-janus needs {', '.join(_MISSING)} (install gapeval[hf])" if _MISSING else None


@cache
def tiny_janus_folder() -> Path:
    """Build the tiny Janus checkpoint once (on first use) in a new temporary folder."""
    from gapeval.adapters.tiny_janus import build_tiny_janus

    return build_tiny_janus(seed=0)


def janus_case():
    """An unloaded adapter on the tiny checkpoint: CPU, float32, short text answers."""
    from gapeval.adapters.hf_janus import JanusAdapter

    return JanusAdapter(
        weights=tiny_janus_folder(), device="cpu", dtype="float32", max_new_tokens=16
    )


CASES = {"hf-janus": janus_case}
