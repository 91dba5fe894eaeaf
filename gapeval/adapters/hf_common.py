"""Pieces shared by the Hugging Face and diffusers adapters: paths, devices, dtypes, seeds, images.

Everything here imports torch lazily (inside the functions), so importing this module stays cheap.

Examples
--------
>>> check_weights_path("/no/such/folder", adapter="hf-janus")
Traceback (most recent call last):
    ...
gapeval.adapters.hf_common.WeightsPathError: adapter 'hf-janus': weights path '/no/such/folder' \
does not exist; give the folder holding config.json (the model is loaded from local files only)
>>> dtype_name("bf16")
'bfloat16'
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gapeval.errors import GapevalError
from gapeval.extras import require
from gapeval.records import ImagePart, TextPart, TurnRequest

__all__ = [
    "WeightsPathError",
    "check_weights_path",
    "config_digest",
    "dtype_name",
    "history_images",
    "image_output",
    "is_out_of_memory",
    "prompt_text",
    "resolve_device",
    "seeded_generator",
    "torch_dtype",
]

_DTYPES = {
    "float32": "float32",
    "fp32": "float32",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
}


class WeightsPathError(GapevalError):
    """A model's weights folder is missing or holds no config."""


def check_weights_path(path: str | Path, *, adapter: str, config: str = "config.json") -> Path:
    """Return ``path`` as a :class:`Path` if it is a folder holding ``config``; else raise.

    Raises
    ------
    WeightsPathError
        Naming the adapter and the path, and saying what the folder must hold.
    """
    folder = Path(path).expanduser()
    if not folder.exists():
        raise WeightsPathError(
            f"adapter {adapter!r}: weights path {str(path)!r} does not exist; give the folder "
            f"holding {config} (the model is loaded from local files only)"
        )
    if not folder.is_dir() or not (folder / config).is_file():
        raise WeightsPathError(
            f"adapter {adapter!r}: {str(path)!r} is not a model folder (no {config}); give the "
            "folder written by save_pretrained or downloaded from the hub beforehand"
        )
    return folder


def config_digest(folder: str | Path, *, names: Sequence[str] = ("config.json",)) -> str:
    """Short sha256 of the config files ``names`` in ``folder`` (for fingerprints)."""
    digest = hashlib.sha256()
    for name in names:
        file = Path(folder) / name
        if file.is_file():
            digest.update(name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def dtype_name(name: str) -> str:
    """Canonical torch dtype name of ``name`` (``bf16`` -> ``bfloat16``); errors list the choices."""
    key = str(name).lower()
    if key not in _DTYPES:
        raise GapevalError(f"unknown dtype {name!r}; use one of float32, bfloat16, float16")
    return _DTYPES[key]


def torch_dtype(name: str) -> Any:
    """The ``torch.dtype`` named ``name`` (see :func:`dtype_name`)."""
    torch = require("torch", needed_by="Hugging Face adapters")
    return getattr(torch, dtype_name(name))


def resolve_device(name: str = "auto") -> str:
    """``cuda`` when ``name='auto'`` and a GPU is visible, else ``cpu``; other names pass through."""
    if name != "auto":
        return name
    torch = require("torch", needed_by="Hugging Face adapters")
    return "cuda" if torch.cuda.is_available() else "cpu"


def seeded_generator(seed: int, device: str = "cpu") -> Any:
    """A ``torch.Generator`` on ``device`` seeded with ``seed`` (one per request)."""
    torch = require("torch", needed_by="Hugging Face adapters")
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is a GPU (or CPU allocator) out-of-memory error."""
    name = type(error).__name__
    return name == "OutOfMemoryError" or "out of memory" in str(error).lower()


def history_images(request: TurnRequest) -> list[Any]:
    """Every image of the request's history as an RGB PIL image, in reading order."""
    return [part.open() for part in request.images]


def image_output(picture: Any, request: TurnRequest) -> ImagePart:
    """The model's PIL image resized to the requested size, as an in-memory model image part."""
    from PIL import Image

    size = (request.output.width, request.output.height)
    rgb = picture.convert("RGB")
    if rgb.size != size:
        rgb = rgb.resize(size, Image.Resampling.BICUBIC)
    return ImagePart.from_image(rgb, origin="model")


def prompt_text(request: TurnRequest) -> str:
    """The text of the last message (the turn's prompt), or an empty string."""
    last = request.history[-1]
    return "\n".join(part.text for part in last.parts if isinstance(part, TextPart))
