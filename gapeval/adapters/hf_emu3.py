"""Emu3 (``Emu3ForConditionalGeneration``): text answers and autoregressive image generation.

Understanding works like the VLM adapters (:mod:`gapeval.adapters.hf_vlm`): the interleaved
history goes through the chat template, each history image is tokenised by the model's VQ-VAE
*one image at a time* (so a request's tokens never depend on the other images of its batch) and its
visual tokens are written in place of the processor's ``<image>`` placeholders; text is generated
in left-padded batches.

Image generation appends Emu3's image prefix ``<|image start|>{h}*{w}<|image token|>`` to the
rendered history and lets the model write ``h`` rows of ``w`` visual tokens, each row closed by the
end-of-line token. A logits step (see :func:`grid_state`) constrains every position to that grid,
counting positions from the **last** image-wrapper token of the row: a history image has its own
wrapper token, so counting from the first one (as the upstream example does) would place the grid
inside the history image; counting from the last one conditions the new image on the history
images, which stay in the context. Classifier-free guidance runs the unconditional prompts
(``negative_prompt`` plus the same image prefix) as extra rows of the same batch. The image tokens
are decoded by the VQ-VAE and resized to the requested size.

Image tokens are *sampled* even for greedy requests (Emu3 degenerates under greedy image decoding):
a request with ``temperature > 0`` uses its own settings, otherwise ``image_temperature`` and
``image_top_k`` apply; either way the draw uses the request's ``torch.Generator`` (its seed), so the
same seed gives the same image, batched or not. ``image_temperature=0`` gives greedy images.

Examples
--------
>>> adapter = Emu3Adapter(weights="/no/such/folder", device="cpu")
>>> caps = adapter.capabilities()
>>> caps.image_in, caps.image_out, caps.text_out
(True, True, True)
>>> grid_for(width=1024, height=512, image_area=518400, factor=8)
(64, 127)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gapeval.adapters.base import Capabilities
from gapeval.adapters.hf_common import history_images, image_output, seeded_generator, torch_dtype
from gapeval.adapters.hf_vlm_common import HFChatAdapter, read_chat_template, seeded_choice
from gapeval.errors import GapevalError
from gapeval.extras import require
from gapeval.records import TurnRequest, TurnResult, Usage

__all__ = ["Emu3Adapter", "grid_for", "grid_state"]


def grid_for(*, width: int, height: int, image_area: int, factor: int) -> tuple[int, int]:
    """Token grid ``(rows, columns)`` for about ``image_area`` pixels in the request's aspect ratio.

    ``factor`` is the VQ-VAE's spatial downsampling (8 for Emu3).
    """
    scale = math.sqrt(image_area / (width * height))
    return max(1, round(height * scale / factor)), max(1, round(width * scale / factor))


def grid_state(offset: int, rows: int, columns: int) -> str:
    """What the token at ``offset`` after the image-wrapper token must be.

    ``"visual"`` (a codebook token), ``"eol"`` (the end of a row of ``columns`` visual tokens) or
    ``"done"`` (the grid of ``rows`` rows is complete; the model must stop).

    Examples
    --------
    >>> [grid_state(k, 2, 2) for k in range(7)]
    ['visual', 'visual', 'eol', 'visual', 'visual', 'eol', 'done']
    """
    if offset >= rows * (columns + 1):
        return "done"
    return "eol" if (offset + 1) % (columns + 1) == 0 else "visual"


class Emu3Adapter(HFChatAdapter):
    """Emu3 adapter; see the module docstring.

    Parameters
    ----------
    weights, dtype, device, max_batch, name, max_new_tokens
        As :class:`~gapeval.adapters.hf_vlm_common.HFChatAdapter`.
    generate_images : bool
        Whether to answer generation turns (``False`` for the chat-only checkpoint: they then get
        ``unsupported``).
    image_area : int
        Pixels of a generated image before it is resized to the requested size (Emu3 default:
        720x720 = 518400). The token grid has the requested aspect ratio.
    guidance_scale : float
        Classifier-free guidance scale when the request does not set one (1: no guidance).
    negative_prompt : str
        Text of the unconditional prompt for guidance (empty: no text).
    image_temperature, image_top_k
        Sampling of image tokens for requests with ``temperature == 0``.
    """

    adapter_name = "hf-emu3"

    def __init__(
        self,
        *,
        weights: str,
        dtype: str = "bfloat16",
        device: str = "auto",
        max_batch: int = 8,
        name: str | None = None,
        max_new_tokens: int | None = None,
        generate_images: bool = True,
        image_area: int = 518400,
        guidance_scale: float = 3.0,
        negative_prompt: str = "",
        image_temperature: float = 1.0,
        image_top_k: int | None = 2048,
    ) -> None:
        super().__init__(
            weights=weights, dtype=dtype, device=device, max_batch=max_batch, name=name,
            max_new_tokens=max_new_tokens,
        )
        if int(image_area) < 1 or float(guidance_scale) < 0 or float(image_temperature) < 0:
            raise GapevalError(
                f"adapter 'hf-emu3': image_area must be >= 1 and guidance_scale, image_temperature "
                f">= 0; got {image_area!r}, {guidance_scale!r}, {image_temperature!r}"
            )
        self.generate_images = bool(generate_images)
        self.image_area = int(image_area)
        self.guidance_scale = float(guidance_scale)
        self.negative_prompt = str(negative_prompt)
        self.image_temperature = float(image_temperature)
        self.image_top_k = None if image_top_k is None else int(image_top_k)

    def capabilities(self) -> Capabilities:
        """Reads text and images; answers in text, and in images when ``generate_images``."""
        return Capabilities(
            image_in=True, text_out=True, image_out=self.generate_images, max_batch=self.max_batch
        )

    def _extra_options(self) -> dict[str, Any]:
        return {
            "generate_images": self.generate_images,
            "image_area": self.image_area,
            "guidance_scale": self.guidance_scale,
            "negative_prompt": self.negative_prompt,
            "image_temperature": self.image_temperature,
            "image_top_k": self.image_top_k,
        }

    def _load_parts(self, folder: Path) -> tuple[Any, Any]:
        transformers = require("transformers", needed_by="adapter 'hf-emu3'")
        model = transformers.Emu3ForConditionalGeneration.from_pretrained(
            folder, local_files_only=True, dtype=torch_dtype(self.dtype)
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
        images = transformers.Emu3ImageProcessor.from_pretrained(folder, local_files_only=True)
        processor = transformers.Emu3Processor(
            image_processor=images,
            tokenizer=tokenizer,
            chat_template=read_chat_template(folder, tokenizer, adapter=self.adapter_name),
        )
        return model, processor

    # -- inputs -----------------------------------------------------------------------------------

    def _image_tokens(self, picture: Any) -> Any:
        """The BPE ids of one image's visual tokens (rows closed by end-of-line tokens)."""
        torch = require("torch", needed_by="adapter 'hf-emu3'")
        pixels = self.processor.image_processor(images=[picture], return_tensors="pt")
        with torch.inference_mode():
            tokens = self.model.model.get_image_tokens(
                pixels["pixel_values"].to(self.device, torch_dtype(self.dtype)),
                pixels["image_sizes"].to(self.device),
            )
        return tokens.cpu()

    def _text_inputs(self, prompts: list[str], images: list[list[Any]]) -> dict[str, Any]:
        flat = [picture for row in images for picture in row]
        inputs = self.processor(
            text=prompts, images=flat or None, padding=True, return_tensors="pt"
        )
        ids = inputs["input_ids"].clone()
        if flat:
            torch = require("torch", needed_by="adapter 'hf-emu3'")
            tokens = torch.cat([self._image_tokens(picture) for picture in flat])
            slots = ids == self.processor.image_token_id
            if int(slots.sum()) != tokens.numel():
                raise GapevalError(
                    f"adapter 'hf-emu3': the processor left {int(slots.sum())} image slots for "
                    f"{tokens.numel()} visual tokens; the image processor and the VQ-VAE disagree "
                    "on the downsampling factor (Emu3 uses 8)"
                )
            ids[slots] = tokens.to(ids.dtype)
        return {"input_ids": ids, "attention_mask": inputs["attention_mask"]}

    # -- answering --------------------------------------------------------------------------------

    def answer_batch(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer the text turns in one batch and the image turns in another."""
        if self.model is None:
            raise GapevalError("adapter 'hf-emu3' is not loaded; call load() first")
        results: dict[int, TurnResult] = {}
        for kind, answer in (("text", self._answer_text), ("image", self._answer_images)):
            chosen = [i for i, request in enumerate(requests) if request.output.kind == kind]
            if chosen:
                results.update(zip(chosen, answer([requests[i] for i in chosen]), strict=True))
        return [results[i] for i in range(len(requests))]

    def _answer_images(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        torch = require("torch", needed_by="adapter 'hf-emu3'")
        factor = self.model.model.vqmodel.vision_spatial_factor
        grids = [
            grid_for(width=r.output.width, height=r.output.height, image_area=self.image_area,
                     factor=factor)
            for r in requests
        ]
        prefixes = [self._image_prefix(rows, columns) for rows, columns in grids]
        prompts = [self._prompt(r) + prefix for r, prefix in zip(requests, prefixes, strict=True)]
        scales = [
            self.guidance_scale if r.decoding.guidance_scale is None else r.decoding.guidance_scale
            for r in requests
        ]
        guided = any(scale != 1.0 for scale in scales)
        images = [history_images(r) for r in requests]
        if guided:
            prompts += [self.negative_prompt + prefix for prefix in prefixes]
            images += [[] for _ in requests]
        inputs = self._model_kwargs(self._text_inputs(prompts, images))
        config = self._generation_config(max(rows * (columns + 1) for rows, columns in grids) + 1)
        sampler = self._grid_sampler(requests, grids, scales, guided=guided)
        with torch.inference_mode():
            output = self.model.generate(
                **inputs, generation_config=config, logits_processor=[sampler]
            )
        start = inputs["input_ids"].shape[1]
        context = inputs["attention_mask"].sum(dim=1).tolist()
        results = []
        for row, (request, (rows, columns)) in enumerate(zip(requests, grids, strict=True)):
            tokens = output[row, start : start + rows * (columns + 1)]
            if tokens.numel() != rows * (columns + 1):
                raise GapevalError(
                    f"adapter 'hf-emu3': generation stopped after {tokens.numel()} of "
                    f"{rows * (columns + 1)} image tokens; the model's generation_config must not "
                    "list the end-of-line token as an end-of-sequence token"
                )
            picture = self._decode(tokens, rows, columns)
            results.append(
                TurnResult(
                    request_id=request.request_id,
                    status="ok",
                    output=image_output(picture, request),
                    usage=Usage(input_tokens=int(context[row]), output_tokens=tokens.numel()),
                    raw={"grid": [rows, columns], "guidance_scale": scales[row]},
                )
            )
        return results

    def _image_prefix(self, rows: int, columns: int) -> str:
        tokenizer = self.processor.tokenizer
        return f"{tokenizer.boi_token}{rows}*{columns}{tokenizer.image_wrapper_token}"

    def _decode(self, tokens: Any, rows: int, columns: int) -> Any:
        """A PIL image from ``rows * (columns + 1)`` generated BPE ids."""
        torch = require("torch", needed_by="adapter 'hf-emu3'")
        mapping = self.model.vocabulary_mapping
        codes = mapping.convert_bpe2img(tokens.view(1, rows, columns + 1))
        with torch.inference_mode():
            pixels = self.model.model.vqmodel.decode(codes.to(self.device))
        array = pixels[0].float().cpu().numpy()
        processed = self.processor.image_processor.postprocess(
            images=[array], return_tensors="PIL.Image.Image"
        )
        return processed["pixel_values"][0]

    def _grid_sampler(
        self, requests: Sequence[TurnRequest], grids: list[tuple[int, int]], scales: list[float],
        *, guided: bool,
    ) -> Any:
        """The logits step that keeps each row on its grid, applies guidance and draws a token."""
        torch = require("torch", needed_by="adapter 'hf-emu3'")
        generation = require("transformers.generation", needed_by="adapter 'hf-emu3'")
        mapping = self.model.vocabulary_mapping
        wrapper = self.processor.tokenizer.image_wrapper_token_id
        special = {
            "eol": mapping.eol_token_id,
            "done": self.processor.tokenizer.eos_token_id,
        }
        temperature = [
            r.decoding.temperature if r.decoding.temperature > 0 else self.image_temperature
            for r in requests
        ]
        top_k = [r.decoding.top_k or self.image_top_k for r in requests]
        top_p = [r.decoding.top_p for r in requests]
        generators = [
            seeded_generator(r.seed, self.device) if t > 0 else None
            for r, t in zip(requests, temperature, strict=True)
        ]
        count = len(requests)
        visual_ids = torch.tensor(mapping.image_tokens, device=self.device)

        class GridSampler(generation.LogitsProcessor):
            def __call__(self, input_ids: Any, scores: Any) -> Any:
                logits = scores[:count].float()
                if guided:
                    uncond = scores[count:].float()
                    scale = torch.tensor(scales, device=scores.device)[:, None]
                    mixed = uncond + scale * (logits - uncond)
                    keep = (scale == 1.0).expand_as(logits)
                    logits = torch.where(keep, logits, mixed)
                allowed = torch.zeros_like(logits, dtype=torch.bool)
                marks = (input_ids[:count] == wrapper).int()
                last = input_ids.shape[1] - 1 - marks.flip(1).argmax(dim=1)
                for row, (rows, columns) in enumerate(grids):
                    offset = input_ids.shape[1] - 1 - int(last[row])
                    state = grid_state(offset, rows, columns)
                    if state == "visual":
                        allowed[row, visual_ids] = True
                    else:
                        allowed[row, special[state]] = True
                logits = logits.masked_fill(~allowed, float("-inf"))
                chosen = seeded_choice(
                    logits, generators, temperature=temperature, top_k=top_k, top_p=top_p
                )
                if guided:
                    chosen = torch.cat([chosen, chosen])
                forced = scores.new_full(scores.shape, float("-inf"))
                return forced.scatter_(1, chosen[:, None], 0.0)

        return GridSampler()
