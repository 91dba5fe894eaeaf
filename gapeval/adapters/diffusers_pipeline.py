"""Adapter for diffusers pipelines: image generation only (text-to-image and image-to-image).

A generation turn whose last user message holds an image is answered image-to-image (or as an
edit, when the saved pipeline itself takes an ``image``), conditioned on the last image of that
message; any other generation turn is answered text-to-image. The prompt is the text of the last
user message. Understanding turns (text output) are ``unsupported``.

Each request gets its own ``torch.Generator(device).manual_seed(request.seed)``, so the same seed
gives the same image and a request's image does not depend on the other requests of its batch
(up to floating-point rounding of batched kernels: at most one grey level on a few pixels).
Requests of one batch are grouped by mode and by their decoding settings (steps, guidance), and
each group is one pipeline call with a list of generators. The image is generated at the
pipeline's native size (or ``resolution``) and resized to the requested width and height.

Running out of GPU memory raises from :meth:`DiffusersAdapter.answer_batch`, so
:class:`~gapeval.adapters.base.TurnAdapter` halves the batch and retries.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from gapeval.adapters.base import Capabilities, TurnAdapter, library_versions
from gapeval.errors import GapevalError
from gapeval.extras import require
from gapeval.records import ImagePart, Message, TurnRequest, TurnResult

__all__ = ["DiffusersAdapter", "config_hash"]

Dtype = Literal["float32", "bfloat16", "float16"]
Device = Literal["cpu", "cuda", "auto"]
Mode = Literal["text2image", "image2image"]

_NEEDED_BY = "adapter 'diffusers'"
_DTYPES = ("float32", "bfloat16", "float16")
_DEVICES = ("cpu", "cuda", "auto")


def config_hash(weights: str | Path) -> str:
    """sha256 of a saved pipeline's ``model_index.json`` and every component's JSON config.

    Files are hashed in sorted relative-path order, each preceded by its path, so renaming or
    editing any config changes the hash; weight files are not read (they can be gigabytes).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "model_index.json").write_text('{"_class_name": "X"}')
    >>> before = config_hash(folder)
    >>> _ = (folder / "model_index.json").write_text('{"_class_name": "Y"}')
    >>> before == config_hash(folder), len(before)
    (False, 64)
    """
    root = Path(weights)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.json")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _check_weights(weights: str | Path) -> Path:
    path = Path(weights).expanduser()
    if not path.exists():
        raise GapevalError(
            f"diffusers weights path '{path}' does not exist; give the folder written by "
            "pipeline.save_pretrained (it holds model_index.json)"
        )
    if not (path / "model_index.json").is_file():
        raise GapevalError(
            f"diffusers weights path '{path}' has no model_index.json; give the folder written "
            "by pipeline.save_pretrained, not one of its component folders"
        )
    return path


def _prompt(history: Sequence[Message]) -> str:
    """The text of the last user message (or of the last message with text)."""
    users = [m for m in history if m.role == "user"] or list(history)
    for message in reversed(users):
        if message.text.strip():
            return message.text
    return ""


def _condition_image(history: Sequence[Message]) -> ImagePart | None:
    """The last image of the last user message, or ``None``."""
    users = [m for m in history if m.role == "user"]
    if not users or not users[-1].images:
        return None
    return users[-1].images[-1]


def _takes(pipeline: Any, name: str) -> bool:
    return name in inspect.signature(pipeline.__call__).parameters


class DiffusersAdapter(TurnAdapter):
    """A diffusers pipeline saved with ``save_pretrained``, answering generation turns.

    Parameters
    ----------
    weights : str or Path
        Folder of the saved pipeline (with ``model_index.json``); loaded with
        ``from_pretrained(weights, local_files_only=True)``.
    dtype : {"float32", "bfloat16", "float16"}
        Weight and compute dtype.
    device : {"cpu", "cuda", "auto"}
        Where to run; ``auto`` picks CUDA when available.
    num_inference_steps : int
        Denoising steps unless a request's ``decoding.num_inference_steps`` says otherwise.
    guidance_scale : float or None
        Classifier-free guidance unless a request's ``decoding.guidance_scale`` says otherwise
        (``None``: the pipeline's default).
    strength : float
        How far image-to-image moves from the input image (0: not at all, 1: ignore it).
    resolution : int or None
        Side of the square image the pipeline generates before resizing to the requested size
        (``None``: the pipeline's native size).
    max_batch : int
        Largest number of images in one pipeline call.

    Raises
    ------
    GapevalError
        If ``weights`` does not exist or has no ``model_index.json``, or an option is invalid.
    """

    def __init__(
        self,
        weights: str | Path,
        *,
        dtype: Dtype = "float32",
        device: Device = "auto",
        num_inference_steps: int = 30,
        guidance_scale: float | None = None,
        strength: float = 0.8,
        resolution: int | None = None,
        max_batch: int = 4,
    ) -> None:
        self.weights = _check_weights(weights)
        if dtype not in _DTYPES:
            raise GapevalError(f"dtype {dtype!r} is not one of {', '.join(_DTYPES)}")
        if device not in _DEVICES:
            raise GapevalError(f"device {device!r} is not one of {', '.join(_DEVICES)}")
        if num_inference_steps < 1 or max_batch < 1 or (resolution is not None and resolution < 8):
            raise GapevalError(
                "num_inference_steps and max_batch must be >= 1 and resolution >= 8; got "
                f"{num_inference_steps}, {max_batch}, {resolution}"
            )
        if not 0.0 < strength <= 1.0:
            raise GapevalError(f"strength must be in (0, 1]; got {strength}")
        self.dtype = dtype
        self.device = device
        self.num_inference_steps = int(num_inference_steps)
        self.guidance_scale = guidance_scale
        self.strength = float(strength)
        self.resolution = resolution
        self.max_batch = int(max_batch)
        self._pipes: dict[Mode, Any] = {}
        self._loaded = False

    # -- protocol -------------------------------------------------------------------------

    def load(self) -> None:
        """Load the pipeline from ``weights`` (local files only) and derive its other mode."""
        torch = require("torch", needed_by=_NEEDED_BY)
        diffusers = require("diffusers", needed_by=_NEEDED_BY)
        from diffusers.pipelines import pipeline_utils

        if self.device == "cuda" and not torch.cuda.is_available():
            raise GapevalError(
                "device 'cuda' was asked for but torch sees no CUDA GPU; "
                "use device=cpu (or auto), or install a CUDA build of torch"
            )
        dtype = getattr(torch, self.dtype)
        # diffusers >= 0.36 names the argument ``dtype``; older versions ``torch_dtype``.
        key = "dtype" if hasattr(pipeline_utils, "_resolve_dtype") else "torch_dtype"
        try:
            pipe = diffusers.DiffusionPipeline.from_pretrained(
                str(self.weights), local_files_only=True, **{key: dtype}
            )
        except (OSError, ValueError) as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise GapevalError(
                f"cannot load diffusers pipeline from '{self.weights}': {first}"
            ) from error
        pipe = pipe.to(self._device())
        pipe.set_progress_bar_config(disable=True)
        self._pipes = self._modes(diffusers, pipe)
        self._loaded = True

    def close(self) -> None:
        """Drop the pipelines and free GPU memory."""
        self._pipes = {}
        self._loaded = False
        if self.device != "cpu":
            torch = require("torch", needed_by=_NEEDED_BY)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    def capabilities(self) -> Capabilities:
        """Image output only; image input when the pipeline has an image-to-image form."""
        image_in = "image2image" in self._pipes if self._loaded else True
        return Capabilities(
            text_in=True, image_in=image_in, text_out=False, image_out=True,
            max_batch=self.max_batch, seeded=True,
        )

    def fingerprint(self) -> dict[str, Any]:
        """Adapter, weights path and config hash, pipeline class, settings and versions."""
        index = json.loads((self.weights / "model_index.json").read_text())
        return {
            "adapter": "diffusers",
            "weights": str(self.weights.resolve()),
            "pipeline": index.get("_class_name"),
            "config_sha256": config_hash(self.weights),
            "dtype": self.dtype,
            "device": self._device(),
            "num_inference_steps": self.num_inference_steps,
            "guidance_scale": self.guidance_scale,
            "strength": self.strength,
            "resolution": self.resolution,
            "libraries": library_versions("gapeval", "diffusers", "transformers", "torch"),
        }

    def answer_batch(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer generation requests, one pipeline call per group of equal settings."""
        if not self._loaded:
            raise GapevalError("the diffusers adapter is not loaded; call load() first")
        groups: dict[tuple[Mode, int, float | None], list[int]] = {}
        results: list[TurnResult | None] = [None] * len(requests)
        for index, request in enumerate(requests):
            has_image = _condition_image(request.history) is not None
            mode: Mode = "image2image" if has_image else "text2image"
            if mode not in self._pipes:
                results[index] = TurnResult.unsupported(request, self._missing_mode(mode))
                continue
            decoding = request.decoding
            steps = decoding.num_inference_steps or self.num_inference_steps
            guidance = (
                decoding.guidance_scale
                if decoding.guidance_scale is not None
                else self.guidance_scale
            )
            groups.setdefault((mode, steps, guidance), []).append(index)
        for (mode, steps, guidance), indices in groups.items():
            batch = [requests[i] for i in indices]
            for index, result in zip(indices, self._generate(mode, steps, guidance, batch)):
                results[index] = result
        return [result for result in results if result is not None]

    # -- internals ------------------------------------------------------------------------

    def _device(self) -> str:
        if self.device != "auto":
            return self.device
        torch = require("torch", needed_by=_NEEDED_BY)
        return "cuda" if torch.cuda.is_available() else "cpu"

    def _modes(self, diffusers: Any, pipe: Any) -> dict[Mode, Any]:
        """The loaded pipeline in each mode it supports (sharing weights through from_pipe)."""
        if _takes(pipe, "image"):
            modes: dict[Mode, Any] = {"image2image": pipe}
            derive: tuple[Mode, Any] = ("text2image", diffusers.AutoPipelineForText2Image)
        else:
            modes = {"text2image": pipe}
            derive = ("image2image", diffusers.AutoPipelineForImage2Image)
        try:
            other = derive[1].from_pipe(pipe)
        except (ValueError, KeyError, TypeError, AttributeError):
            return modes  # no such form for this pipeline family
        other.set_progress_bar_config(disable=True)
        modes[derive[0]] = other
        return modes

    def _missing_mode(self, mode: Mode) -> str:
        if mode == "image2image":
            return "this diffusers pipeline has no image-to-image form; it cannot read images"
        return "this diffusers pipeline edits images; it needs an image in the last user message"

    def _size(self, pipe: Any) -> tuple[int, int]:
        """(width, height) the pipeline generates at."""
        if self.resolution is not None:
            return self.resolution, self.resolution
        scale = int(getattr(pipe, "vae_scale_factor", 8) or 8)
        native = getattr(pipe, "default_sample_size", None)
        for name in ("unet", "transformer"):
            model = getattr(pipe, name, None)
            if native is None and model is not None:
                size = getattr(model.config, "sample_size", None)
                native = size if isinstance(size, int) else None
        side = native * scale if native else 512
        return side, side

    def _generate(
        self, mode: Mode, steps: int, guidance: float | None, batch: Sequence[TurnRequest]
    ) -> list[TurnResult]:
        torch = require("torch", needed_by=_NEEDED_BY)
        pipe = self._pipes[mode]
        width, height = self._size(pipe)
        device = self._device()
        kwargs: dict[str, Any] = {
            "prompt": [_prompt(r.history) for r in batch],
            "num_inference_steps": steps,
            "generator": [torch.Generator(device).manual_seed(r.seed) for r in batch],
            "output_type": "pil",
        }
        if guidance is not None:
            kwargs["guidance_scale"] = guidance
        if mode == "image2image":
            images = [_condition_image(r.history) for r in batch]
            kwargs["image"] = [i.open().resize((width, height)) for i in images if i is not None]
            if _takes(pipe, "strength"):
                kwargs["strength"] = self.strength
        if _takes(pipe, "height") and _takes(pipe, "width"):
            kwargs.update(height=height, width=width)
        try:
            output = pipe(**kwargs)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            raise
        flagged = getattr(output, "nsfw_content_detected", None) or [False] * len(batch)
        raw = {"mode": mode, "num_inference_steps": steps, "guidance_scale": guidance,
               "generated_size": [width, height]}
        return [
            self._result(request, image, bool(flag), raw)
            for request, image, flag in zip(batch, output.images, flagged, strict=True)
        ]

    def _result(
        self, request: TurnRequest, image: Any, flagged: bool, raw: dict[str, Any]
    ) -> TurnResult:
        if flagged:
            message = "the pipeline's safety checker flagged the generated image"
            return TurnResult(
                request_id=request.request_id, status="refused", error=message, raw=raw
            )
        wanted = (request.output.width, request.output.height)
        image = image.convert("RGB")
        if image.size != wanted:
            from PIL import Image

            image = image.resize(wanted, Image.Resampling.LANCZOS)
        part = ImagePart.from_image(image, origin="model")
        return TurnResult(request_id=request.request_id, status="ok", output=part, raw=raw)
