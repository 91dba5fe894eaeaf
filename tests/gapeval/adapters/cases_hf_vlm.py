"""Contract cases for the Hugging Face VLM and Emu3 adapters, on tiny random-weight models.

The models (see ``tiny_vlms.py``) are built once per process, lazily, saved into a
``tempfile.mkdtemp()`` folder and loaded by each adapter's real ``load()`` on CPU in float32.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

NEEDED = ("torch", "transformers", "tokenizers")
MISSING = [module for module in NEEDED if importlib.util.find_spec(module) is None]
SKIP_REASON = f"Hugging Face VLM adapters need {', '.join(MISSING)}" if MISSING else None


def qwen() -> object:
    from tiny_vlms import built

    from gapeval.adapters.hf_vlm import QwenVLAdapter

    return QwenVLAdapter(
        weights=str(built("qwen")), dtype="float32", device="cpu", max_batch=4, max_new_tokens=12
    )


def llava() -> object:
    from tiny_vlms import built

    from gapeval.adapters.hf_vlm import LlavaAdapter

    return LlavaAdapter(
        weights=str(built("llava")), dtype="float32", device="cpu", max_batch=4, max_new_tokens=12
    )


def emu3() -> object:
    from tiny_vlms import built

    from gapeval.adapters.hf_emu3 import Emu3Adapter

    return Emu3Adapter(
        weights=str(built("emu3")), dtype="float32", device="cpu", max_batch=4, image_area=256,
        max_new_tokens=12,
    )


CASES: dict[str, Callable[[], object]] = {
    "hf-qwen2.5-vl": qwen,
    "hf-llava": llava,
    "hf-emu3": emu3,
}
