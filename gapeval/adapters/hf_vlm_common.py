"""The shared base of the Hugging Face chat adapters (Qwen2.5-VL, LLaVA, Emu3).

:class:`HFChatAdapter` owns what these models have in common: options (weights folder, dtype,
device, batch size), loading from local files only, turning a request's interleaved history into
chat messages, batched text generation with left padding, per-request seeded sampling, usage
counts and the fingerprint. A family subclass says how to load its model and processor
(:meth:`HFChatAdapter._load_parts`) and how to turn prompts and images into model inputs
(:meth:`HFChatAdapter._text_inputs`).

Decoding is batched with ``model.generate`` in greedy mode; sampling (``temperature > 0``) is done
inside :func:`seeded_choice`, a logits step that draws each row's next token with that request's
own ``torch.Generator`` and leaves only that token possible, so batched sampling draws exactly what
one-by-one sampling draws. Nothing here imports torch or transformers at import time.

Examples
--------
>>> from gapeval.records import ImagePart, Message, TextPart
>>> from PIL import Image
>>> picture = ImagePart.from_image(Image.new("RGB", (2, 2), "red"), origin="input")
>>> history = (Message(role="user", parts=(TextPart(text="Colour?"), picture)),)
>>> chat_messages(history)
[{'role': 'user', 'content': [{'type': 'text', 'text': 'Colour?'}, {'type': 'image'}]}]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gapeval.adapters.base import Capabilities, TurnAdapter, library_versions
from gapeval.adapters.hf_common import (
    check_weights_path,
    config_digest,
    dtype_name,
    history_images,
    resolve_device,
    seeded_generator,
    torch_dtype,
)
from gapeval.errors import GapevalError
from gapeval.extras import require
from gapeval.records import ImagePart, Message, TextPart, TurnRequest, TurnResult, Usage

__all__ = [
    "HFChatAdapter",
    "chat_messages",
    "count_placeholders",
    "read_chat_template",
    "seeded_choice",
    "seeded_logits_processor",
]


def chat_messages(history: Sequence[Message]) -> list[dict[str, Any]]:
    """The history as chat-template messages: text parts and ``{"type": "image"}`` placeholders.

    Images keep their place among the text parts; the images themselves are passed to the
    processor separately, in the same reading order
    (:func:`~gapeval.adapters.hf_common.history_images`).
    """
    messages = []
    for message in history:
        content: list[dict[str, Any]] = []
        for part in message.parts:
            if isinstance(part, TextPart):
                content.append({"type": "text", "text": part.text})
            elif isinstance(part, ImagePart):
                content.append({"type": "image"})
        messages.append({"role": message.role, "content": content})
    return messages


def count_placeholders(text: str, token: str, *, images: int, adapter: str) -> None:
    """Raise unless the rendered prompt ``text`` holds one ``token`` per history image."""
    found = text.count(token)
    if found != images:
        raise GapevalError(
            f"adapter {adapter!r}: the chat template rendered {found} image placeholder(s) "
            f"{token!r} for {images} history image(s); use a chat template that renders an image "
            "part of any role as the processor's image token"
        )


def read_chat_template(folder: Path, tokenizer: Any, *, adapter: str) -> str:
    """The chat template of a model folder: the tokenizer's, else ``chat_template.jinja/.json``."""
    template = getattr(tokenizer, "chat_template", None)
    if template:
        return template
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text()
    stored = folder / "chat_template.json"
    if stored.is_file():
        return json.loads(stored.read_text())["chat_template"]
    raise GapevalError(
        f"adapter {adapter!r}: no chat template in {str(folder)!r} (tokenizer_config.json, "
        "chat_template.jinja or chat_template.json); save the model's processor there"
    )


def seeded_choice(
    scores: Any, generators: Sequence[Any | None], *, temperature: Sequence[float],
    top_k: Sequence[int | None], top_p: Sequence[float],
) -> Any:
    """Pick one token per row of ``scores``: argmax where ``generators[i]`` is ``None``, else draw.

    A draw divides the row's logits by ``temperature[i]``, keeps the ``top_k[i]`` best tokens and
    the smallest set holding ``top_p[i]`` of the probability, and samples with ``generators[i]``.
    Exactly one random draw per sampled row, so a row's tokens do not depend on its batch.

    Returns
    -------
    torch.LongTensor
        Shape ``(rows,)``.
    """
    torch = require("torch", needed_by="Hugging Face adapters")
    chosen = scores.argmax(dim=-1)
    for row, generator in enumerate(generators):
        if generator is None:
            continue
        logits = scores[row].float() / max(float(temperature[row]), 1e-6)
        k = top_k[row]
        if k is not None and k < logits.shape[-1]:
            threshold = torch.topk(logits, k).values[-1]
            logits = logits.masked_fill(logits < threshold, float("-inf"))
        if top_p[row] < 1.0:
            ordered, order = torch.sort(logits, descending=True)
            mass = torch.softmax(ordered, dim=-1).cumsum(dim=-1)
            drop = mass - torch.softmax(ordered, dim=-1) >= top_p[row]
            logits = logits.scatter(0, order, ordered.masked_fill(drop, float("-inf")))
        probabilities = torch.softmax(logits, dim=-1)
        chosen[row] = torch.multinomial(probabilities, 1, generator=generator)[0]
    return chosen


def seeded_logits_processor(requests: Sequence[TurnRequest], *, device: str) -> Any | None:
    """A ``LogitsProcessor`` that samples rows whose request has ``temperature > 0``, or ``None``.

    The processor replaces each sampled row's scores by ``-inf`` except the drawn token, so
    ``generate`` in greedy mode takes it; greedy rows pass through untouched.
    """
    if all(request.decoding.temperature == 0 for request in requests):
        return None
    generation = require("transformers.generation", needed_by="Hugging Face adapters")
    generators = [
        seeded_generator(r.seed, device) if r.decoding.temperature > 0 else None for r in requests
    ]
    settings = {
        "temperature": [r.decoding.temperature for r in requests],
        "top_k": [r.decoding.top_k for r in requests],
        "top_p": [r.decoding.top_p for r in requests],
    }

    class SeededSampler(generation.LogitsProcessor):
        def __call__(self, input_ids: Any, scores: Any) -> Any:
            chosen = seeded_choice(scores, generators, **settings)
            sampled = scores.new_full(scores.shape, float("-inf"))
            sampled.scatter_(1, chosen[:, None], 0.0)
            keep = [i for i, generator in enumerate(generators) if generator is None]
            sampled[keep] = scores[keep]
            return sampled

    return SeededSampler()


class HFChatAdapter(TurnAdapter):
    """Base class of the Hugging Face chat adapters; see the module docstring.

    Parameters
    ----------
    weights : str
        Local folder written by ``save_pretrained`` (or downloaded beforehand) holding the model,
        its tokenizer, its image processor config and a chat template. Loaded with
        ``local_files_only=True``; nothing is downloaded.
    dtype : str
        ``bfloat16`` (default), ``float16`` or ``float32`` (aliases ``bf16``, ``fp16``, ``fp32``).
    device : str
        ``auto`` (the GPU when one is visible, else the CPU), ``cpu``, ``cuda``, ``cuda:1``...
    max_batch : int
        Most requests answered in one ``generate`` call (left-padded).
    name : str or None
        Name reported in the fingerprint (default: the adapter name).
    max_new_tokens : int or None
        Cap on generated text tokens, on top of each request's ``decoding.max_new_tokens``
        (``None``: the request's alone).
    """

    #: Adapter name in the registry; subclasses set it.
    adapter_name = "hf-chat"

    def __init__(
        self,
        *,
        weights: str,
        dtype: str = "bfloat16",
        device: str = "auto",
        max_batch: int = 8,
        name: str | None = None,
        max_new_tokens: int | None = None,
    ) -> None:
        if int(max_batch) < 1 or (max_new_tokens is not None and int(max_new_tokens) < 1):
            raise GapevalError(
                f"adapter {self.adapter_name!r}: max_batch and max_new_tokens must be at least 1; "
                f"got {max_batch!r} and {max_new_tokens!r}"
            )
        self.max_new_tokens = None if max_new_tokens is None else int(max_new_tokens)
        self.weights = str(weights)
        self.dtype = dtype_name(dtype)
        self.device = device
        self.max_batch = int(max_batch)
        self.name = name or self.adapter_name
        self.model: Any = None
        self.processor: Any = None

    # -- protocol ---------------------------------------------------------------------------------

    def load(self) -> None:
        """Check the weights folder, then load the model and processor from local files only."""
        folder = check_weights_path(self.weights, adapter=self.adapter_name)
        require("transformers", needed_by=f"adapter {self.adapter_name!r}")
        self.device = resolve_device(self.device)
        self.model, self.processor = self._load_parts(folder)
        self.model.to(self.device).eval()
        tokenizer = self.processor.tokenizer
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token

    def close(self) -> None:
        """Drop the model and free GPU memory."""
        self.model = None
        self.processor = None
        if self.device.startswith("cuda"):
            torch = require("torch", needed_by=f"adapter {self.adapter_name!r}")
            torch.cuda.empty_cache()

    def capabilities(self) -> Capabilities:
        """Reads text and images, answers in text; does not draw (generation turns: unsupported)."""
        return Capabilities(image_in=True, text_out=True, image_out=False, max_batch=self.max_batch)

    def fingerprint(self) -> dict[str, Any]:
        """Adapter, name, weights path, config digest, dtype, device and library versions."""
        folder = Path(self.weights).expanduser()
        return {
            "adapter": self.adapter_name,
            "name": self.name,
            "weights": str(folder.resolve()) if folder.exists() else self.weights,
            "config_digest": config_digest(folder) if folder.is_dir() else None,
            "dtype": self.dtype,
            "device": self.device,
            "options": {"max_new_tokens": self.max_new_tokens, **self._extra_options()},
            "libraries": library_versions("gapeval", "torch", "transformers", "tokenizers"),
        }

    def answer_batch(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer the text turns of ``requests`` in one left-padded ``generate`` call."""
        if self.model is None:
            raise GapevalError(f"adapter {self.adapter_name!r} is not loaded; call load() first")
        return self._answer_text(requests)

    # -- hooks for families -----------------------------------------------------------------------

    def _load_parts(self, folder: Path) -> tuple[Any, Any]:
        """Return ``(model, processor)`` loaded from ``folder``; subclasses implement this."""
        raise NotImplementedError

    def _extra_options(self) -> dict[str, Any]:
        """Family options recorded in the fingerprint."""
        return {}

    def _prompt(self, request: TurnRequest) -> str:
        """The request's history rendered with the chat template, ending with the answer cue."""
        text = self.processor.apply_chat_template(
            chat_messages(request.history), add_generation_prompt=True, tokenize=False
        )
        count_placeholders(
            text, self.processor.image_token, images=len(request.images), adapter=self.adapter_name
        )
        return text

    def _text_inputs(self, prompts: list[str], images: list[list[Any]]) -> Any:
        """Model inputs for ``prompts`` with each prompt's images (the default: the processor's)."""
        flat = [picture for row in images for picture in row]
        return self.processor(
            text=prompts, images=flat or None, padding=True, return_tensors="pt"
        )

    # -- text generation --------------------------------------------------------------------------

    def _model_kwargs(self, inputs: Any) -> dict[str, Any]:
        torch = require("torch", needed_by=f"adapter {self.adapter_name!r}")
        moved = {}
        for key, value in inputs.items():
            if isinstance(value, torch.Tensor):
                value = value.to(self.device)
                if value.is_floating_point():
                    value = value.to(torch_dtype(self.dtype))
            moved[key] = value
        return moved

    def _generation_config(self, max_new_tokens: int) -> Any:
        config = self.model.generation_config.__class__.from_dict(
            self.model.generation_config.to_dict()
        )
        config.update(
            do_sample=False, num_beams=1, temperature=None, top_p=None, top_k=None,
            max_new_tokens=int(max_new_tokens),
        )
        if config.pad_token_id is None:
            config.pad_token_id = self.processor.tokenizer.pad_token_id
        return config

    def _answer_text(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        torch = require("torch", needed_by=f"adapter {self.adapter_name!r}")
        prompts = [self._prompt(request) for request in requests]
        inputs = self._model_kwargs(
            self._text_inputs(prompts, [history_images(request) for request in requests])
        )
        longest = max(self._token_budget(request) for request in requests)
        sampler = seeded_logits_processor(requests, device=self.device)
        extra = {"logits_processor": [sampler]} if sampler is not None else {}
        with torch.inference_mode():
            output = self.model.generate(
                **inputs, generation_config=self._generation_config(longest), **extra
            )
        start = inputs["input_ids"].shape[1]
        context = inputs["attention_mask"].sum(dim=1).tolist()
        return [
            self._text_result(request, output[row, start:].tolist(), int(context[row]))
            for row, request in enumerate(requests)
        ]

    def _token_budget(self, request: TurnRequest) -> int:
        budget = request.decoding.max_new_tokens
        return budget if self.max_new_tokens is None else min(budget, self.max_new_tokens)

    def _text_result(self, request: TurnRequest, tokens: list[int], context: int) -> TurnResult:
        config = self.model.generation_config
        stops = config.eos_token_id if config.eos_token_id is not None else []
        stops = set(stops if isinstance(stops, list) else [stops])
        tokens = tokens[: self._token_budget(request)]
        finish = "length"
        for position, token in enumerate(tokens):
            if token in stops:
                tokens, finish = tokens[:position], "stop"
                break
        text = self.processor.tokenizer.decode(tokens, skip_special_tokens=True).strip()
        return TurnResult(
            request_id=request.request_id,
            status="ok",
            output=TextPart(text=text),
            usage=Usage(input_tokens=context, output_tokens=len(tokens)),
            raw={"finish_reason": finish},
        )
