"""Janus and Janus-Pro on Hugging Face transformers: text and image answers to interleaved history.

:class:`JanusAdapter` answers understanding turns (text out) and generation turns (image out) with
a local :class:`transformers.JanusForConditionalGeneration` checkpoint. Every request carries its
whole history; it is written with the checkpoint's chat template, every image (user inputs and the
model's own earlier outputs alike) as an image placeholder that the processor expands and the
understanding encoder fills. Turns of many dialogues are batched with left padding; decoding is
greedy at temperature 0 and otherwise seeded per request (:mod:`gapeval.adapters.hf_janus_decode`).

Generation turns run the adapter's own image loop, because Janus's ``generate`` in image mode
ignores ``pixel_values``: the prompt ends with the begin-of-image token, VQ tokens are sampled with
classifier-free guidance, decoded by the VQ model and resized to the requested size. Image tokens
are sampled at the request's temperature when it is positive, else at ``image_temperature`` (1.0,
Janus's own setting: greedy decoding of image tokens gives degenerate images); the values used are
recorded in each result's ``raw``.

Examples
--------
>>> adapter = JanusAdapter(weights="/models/Janus-Pro-1B", device="cpu")
>>> adapter.dtype, adapter.capabilities().image_out
('float32', True)
>>> JanusAdapter(weights="/models/Janus-Pro-1B", device="tpu")
Traceback (most recent call last):
    ...
gapeval.adapters.base.AdapterOptionError: adapter 'hf-janus': device 'tpu' is not one of \
auto, cpu, cuda, cuda:N
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gapeval.adapters import hf_common
from gapeval.adapters.base import Capabilities, TurnAdapter, library_versions
from gapeval.adapters.base import AdapterOptionError
from gapeval.extras import require
from gapeval.records import ImagePart, TextPart, TurnRequest, TurnResult, Usage

__all__ = ["JanusAdapter", "chat_messages"]

ADAPTER = "hf-janus"
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")
_CONFIG_FILES = (
    "config.json",
    "generation_config.json",
    "processor_config.json",
    "preprocessor_config.json",
    "tokenizer_config.json",
    "chat_template.jinja",
)


def chat_messages(request: TurnRequest) -> list[dict[str, Any]]:
    """The request's history as chat-template messages; image parts become ``{"type": "image"}``.

    Examples
    --------
    >>> from gapeval.records import Message, OutputSpec
    >>> request = TurnRequest(request_id="r", model="m", item="q", seed=0,
    ...     history=(Message(role="user", parts=(TextPart(text="Hi"),)),),
    ...     output=OutputSpec(kind="text"))
    >>> chat_messages(request)
    [{'role': 'user', 'content': [{'type': 'text', 'text': 'Hi'}]}]
    """
    messages = []
    for message in request.history:
        content = [
            {"type": "text", "text": part.text}
            if isinstance(part, TextPart)
            else {"type": "image"}
            for part in message.parts
        ]
        content = content or [{"type": "text", "text": ""}]
        messages.append({"role": message.role, "content": content})
    return messages


def _option_error(message: str) -> AdapterOptionError:
    return AdapterOptionError(f"adapter {ADAPTER!r}: {message}")


class JanusAdapter(TurnAdapter):
    """Janus unified model (text and image output) from a local transformers checkpoint.

    Parameters
    ----------
    weights : str or Path
        Folder holding the checkpoint (``config.json``, weights, tokenizer, processor and chat
        template), as written by ``save_pretrained``; loaded with ``local_files_only=True``.
    dtype : str, optional
        ``bfloat16``, ``float16`` or ``float32``; default ``bfloat16`` on a GPU, ``float32`` on CPU.
    device : str
        ``auto`` (a GPU when one is visible), ``cpu``, ``cuda`` or ``cuda:N``.
    max_batch : int
        Most requests answered in one forward pass; the base class halves a batch that fails
        (for example out of GPU memory).
    guidance_scale : float
        Classifier-free guidance scale for image tokens, unless the request sets one.
    image_temperature : float
        Temperature of image tokens when the request's temperature is 0.
    max_new_tokens : int, optional
        Cap on generated text tokens per answer (the request's budget applies below it).
    name : str
        Name reported in the fingerprint.

    Notes
    -----
    Answers depend only on a request and its seed, not on its batch: sampling uses one generator
    per request and VQ decoding runs one image at a time. On CPU in float32, batched and
    one-by-one answers are identical (tested); on a GPU in bfloat16 or float16 the kernels depend
    on the batch shape, so a near-tie between two tokens can rarely resolve differently.
    """

    def __init__(
        self,
        *,
        weights: str | Path,
        dtype: str | None = None,
        device: str = "auto",
        max_batch: int = 8,
        guidance_scale: float = 5.0,
        image_temperature: float = 1.0,
        max_new_tokens: int | None = None,
        name: str = ADAPTER,
    ) -> None:
        if not _DEVICE.match(str(device)):
            raise _option_error(f"device {device!r} is not one of auto, cpu, cuda, cuda:N")
        if int(max_batch) < 1:
            raise _option_error(f"max_batch must be at least 1, got {max_batch!r}")
        if float(guidance_scale) < 0 or float(image_temperature) < 0:
            raise _option_error(
                f"guidance_scale ({guidance_scale!r}) and image_temperature "
                f"({image_temperature!r}) must be >= 0"
            )
        if max_new_tokens is not None and int(max_new_tokens) < 1:
            raise _option_error(f"max_new_tokens must be >= 1 or None, got {max_new_tokens!r}")
        self.weights = str(weights)
        self.device_option = str(device)
        self._dtype_option = None if dtype is None else hf_common.dtype_name(dtype)
        self.max_batch = int(max_batch)
        self.guidance_scale = float(guidance_scale)
        self.image_temperature = float(image_temperature)
        self.max_new_tokens = None if max_new_tokens is None else int(max_new_tokens)
        self.name = name
        self.model: Any = None
        self.processor: Any = None
        self._device: str | None = None if self.device_option == "auto" else self.device_option

    @property
    def device(self) -> str:
        """The device the model runs on (``auto`` is resolved at :meth:`load`)."""
        return self._device or hf_common.resolve_device(self.device_option)

    @property
    def dtype(self) -> str:
        """The weights' dtype name: the option, else bfloat16 on a GPU and float32 on CPU."""
        if self._dtype_option is not None:
            return self._dtype_option
        return "float32" if self.device == "cpu" else "bfloat16"

    def load(self) -> None:
        """Read the checkpoint from local files and place it on the device.

        Raises
        ------
        WeightsPathError
            If ``weights`` is not a model folder.
        MissingExtraError
            If torch or transformers is not installed.
        """
        folder = hf_common.check_weights_path(self.weights, adapter=ADAPTER)
        require("torch", needed_by=f"adapter {ADAPTER!r}")
        transformers = require("transformers", needed_by=f"adapter {ADAPTER!r}")
        self._device = hf_common.resolve_device(self.device_option)
        image_processor = transformers.JanusImageProcessorPil.from_pretrained(
            folder, local_files_only=True
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.processor = transformers.JanusProcessor.from_pretrained(
            folder, local_files_only=True, image_processor=image_processor, tokenizer=tokenizer
        )
        model = transformers.JanusForConditionalGeneration.from_pretrained(
            folder, local_files_only=True, dtype=hf_common.torch_dtype(self.dtype)
        )
        self.model = model.to(self._device).eval()

    def close(self) -> None:
        """Drop the model and free GPU memory."""
        self.model = None
        self.processor = None
        if self._device is not None and self._device.startswith("cuda"):
            torch = require("torch", needed_by=f"adapter {ADAPTER!r}")
            torch.cuda.empty_cache()

    def capabilities(self) -> Capabilities:
        """Reads text and images; answers in text or images; batches ``max_batch`` requests."""
        return Capabilities(image_in=True, image_out=True, max_batch=self.max_batch)

    def fingerprint(self) -> dict[str, Any]:
        """Adapter, weights folder and config digest, dtype, device, options, library versions."""
        folder = Path(self.weights).expanduser()
        return {
            "adapter": ADAPTER,
            "name": self.name,
            "weights": str(folder.resolve()) if folder.exists() else self.weights,
            "config_digest": hf_common.config_digest(folder, names=_CONFIG_FILES),
            "dtype": self.dtype,
            "device": self.device,
            "guidance_scale": self.guidance_scale,
            "image_temperature": self.image_temperature,
            "max_new_tokens": self.max_new_tokens,
            "libraries": library_versions("torch", "transformers"),
        }

    def answer_batch(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer text turns and image turns of ``requests`` (each kind as one batch), in order."""
        if self.model is None:
            raise RuntimeError(f"adapter {ADAPTER!r} is not loaded; call load() first")
        torch = require("torch", needed_by=f"adapter {ADAPTER!r}")
        results: dict[int, TurnResult] = {}
        for kind, run in (("text", self._answer_text), ("image", self._answer_images)):
            chosen = [i for i, request in enumerate(requests) if request.output.kind == kind]
            if not chosen:
                continue
            try:
                with torch.no_grad():
                    answers = run([requests[i] for i in chosen])
            except Exception as error:
                if hf_common.is_out_of_memory(error) and self.device.startswith("cuda"):
                    torch.cuda.empty_cache()  # then let the base class halve the batch
                raise
            results.update(zip(chosen, answers, strict=True))
        return [results[i] for i in range(len(requests))]

    def _encode(self, requests: Sequence[TurnRequest], mode: str) -> Any:
        texts = [
            self.processor.apply_chat_template(
                chat_messages(request), add_generation_prompt=True, tokenize=False
            )
            for request in requests
        ]
        images = [image for request in requests for image in hf_common.history_images(request)]
        batch = self.processor(
            text=texts,
            images=images or None,
            generation_mode=mode,
            padding=True,
            padding_side="left",
            return_tensors="pt",
        )
        return batch.to(self.device)

    def _generators(self, requests: Sequence[TurnRequest]) -> list[Any]:
        return [hf_common.seeded_generator(request.seed, self.device) for request in requests]

    def _answer_text(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        from gapeval.adapters.hf_janus_decode import generate_text

        batch = self._encode(requests, "text")
        tokenizer = self.processor.tokenizer
        budgets = [
            min(r.decoding.max_new_tokens, self.max_new_tokens or r.decoding.max_new_tokens)
            for r in requests
        ]
        generated = generate_text(
            self.model,
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            pixel_values=batch.get("pixel_values"),
            settings=[request.decoding for request in requests],
            max_new_tokens=budgets,
            stop_ids=self._stop_ids(),
            pad_id=self._pad_id(),
            generators=self._generators(requests),
        )
        lengths = batch["attention_mask"].sum(dim=-1).tolist()
        return [
            TurnResult(
                request_id=request.request_id,
                status="ok",
                output=TextPart(
                    text=tokenizer.decode(out.tokens, skip_special_tokens=True).strip()
                ),
                usage=Usage(input_tokens=int(length), output_tokens=len(out.tokens)),
                raw={"finish_reason": out.finish_reason},
            )
            for request, out, length in zip(requests, generated, lengths, strict=True)
        ]

    def _answer_images(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        from gapeval.adapters.hf_janus_decode import decode_images, generate_image_tokens

        batch = self._encode(requests, "image")
        temperatures = [
            r.decoding.temperature if r.decoding.temperature > 0 else self.image_temperature
            for r in requests
        ]
        scales = [
            self.guidance_scale if r.decoding.guidance_scale is None else r.decoding.guidance_scale
            for r in requests
        ]
        tokens = generate_image_tokens(
            self.model,
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            pixel_values=batch.get("pixel_values"),
            settings=[request.decoding for request in requests],
            temperatures=temperatures,
            guidance_scales=scales,
            pad_id=self._pad_id(),
            generators=self._generators(requests),
        )
        pictures = decode_images(self.model, self.processor, tokens)
        lengths = batch["attention_mask"].sum(dim=-1).tolist()
        results = []
        for request, picture, length, temperature, scale in zip(
            requests, pictures, lengths, temperatures, scales, strict=True
        ):
            part: ImagePart = hf_common.image_output(picture, request)
            results.append(
                TurnResult(
                    request_id=request.request_id,
                    status="ok",
                    output=part,
                    usage=Usage(input_tokens=int(length), output_tokens=tokens.shape[1]),
                    raw={
                        "temperature": temperature,
                        "guidance_scale": scale,
                        "native_size": list(picture.size),
                    },
                )
            )
        return results

    def _pad_id(self) -> int:
        tokenizer = self.processor.tokenizer
        pad = tokenizer.pad_token_id
        return int(pad if pad is not None else tokenizer.eos_token_id)

    def _stop_ids(self) -> set[int]:
        found = self.model.generation_config.eos_token_id
        ids = set(found if isinstance(found, list) else [] if found is None else [found])
        if self.processor.tokenizer.eos_token_id is not None:
            ids.add(int(self.processor.tokenizer.eos_token_id))
        return ids
