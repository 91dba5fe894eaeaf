"""Understanding-only Hugging Face VLMs: Qwen2.5-VL and LLaVA.

One adapter class per model family, both on :class:`~gapeval.adapters.hf_vlm_common.HFChatAdapter`
(options ``weights``, ``dtype``, ``device``, ``max_batch``, ``name``):

- :class:`QwenVLAdapter` (``hf-qwen2.5-vl``): ``Qwen2_5_VLForConditionalGeneration`` with the
  PIL image processor ``Qwen2VLImageProcessorPil``;
- :class:`LlavaAdapter` (``hf-llava``): ``LlavaForConditionalGeneration`` with ``LlavaProcessor``
  around ``CLIPImageProcessorPil``.

Both read the whole interleaved history through the model's chat template, answer text turns in
left-padded batches (greedy, or sampled with one ``torch.Generator`` per request) and answer
generation turns with status ``unsupported`` (``image_out=False``). Image processors are the PIL
ones, so torchvision is never needed; the processors are assembled here from the tokenizer and the
image processor saved in the weights folder rather than through ``AutoProcessor`` (which would pick
the torchvision-backed classes).

Examples
--------
>>> adapter = QwenVLAdapter(weights="/no/such/folder", dtype="fp32", device="cpu")
>>> adapter.capabilities().image_out
False
>>> adapter.load()
Traceback (most recent call last):
    ...
gapeval.adapters.hf_common.WeightsPathError: adapter 'hf-qwen2.5-vl': weights path \
'/no/such/folder' does not exist; give the folder holding config.json (the model is loaded from \
local files only)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gapeval.adapters.hf_common import torch_dtype
from gapeval.adapters.hf_vlm_common import HFChatAdapter, read_chat_template
from gapeval.extras import require

__all__ = ["LlavaAdapter", "QwenVLAdapter"]


def _tokenizer(folder: Path, *, adapter: str) -> Any:
    transformers = require("transformers", needed_by=f"adapter {adapter!r}")
    return transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)


class QwenVLAdapter(HFChatAdapter):
    """Qwen2.5-VL (understanding only); options as :class:`HFChatAdapter`."""

    adapter_name = "hf-qwen2.5-vl"

    def _load_parts(self, folder: Path) -> tuple[Any, Any]:
        transformers = require("transformers", needed_by=f"adapter {self.adapter_name!r}")
        model = transformers.Qwen2_5_VLForConditionalGeneration.from_pretrained(
            folder, local_files_only=True, dtype=torch_dtype(self.dtype)
        )
        tokenizer = _tokenizer(folder, adapter=self.adapter_name)
        pil = transformers.Qwen2VLImageProcessorPil
        images = pil.from_pretrained(folder, local_files_only=True)
        template = read_chat_template(folder, tokenizer, adapter=self.adapter_name)
        return model, _qwen_processor(images, tokenizer, template)


def _qwen_processor(image_processor: Any, tokenizer: Any, chat_template: str) -> Any:
    """A ``Qwen2_5_VLProcessor`` without its video processor (that one needs torchvision)."""
    transformers = require("transformers", needed_by="adapter 'hf-qwen2.5-vl'")
    processing = require("transformers.processing_utils", needed_by="adapter 'hf-qwen2.5-vl'")

    class ImageOnlyQwen25VLProcessor(transformers.Qwen2_5_VLProcessor):
        def __init__(self, image_processor: Any = None, tokenizer: Any = None,
                     chat_template: str | None = None) -> None:
            self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
            self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
            self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
            self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
            processing.ProcessorMixin.__init__(
                self, image_processor, tokenizer, chat_template=chat_template
            )

    return ImageOnlyQwen25VLProcessor(image_processor, tokenizer, chat_template)


class LlavaAdapter(HFChatAdapter):
    """LLaVA (understanding only); options as :class:`HFChatAdapter`.

    The processor's ``patch_size``, ``vision_feature_select_strategy`` and
    ``num_additional_image_tokens`` come from ``processor_config.json`` when the folder has one,
    else from the model config (one extra token, the CLIP class token).
    """

    adapter_name = "hf-llava"

    def _load_parts(self, folder: Path) -> tuple[Any, Any]:
        transformers = require("transformers", needed_by=f"adapter {self.adapter_name!r}")
        model = transformers.LlavaForConditionalGeneration.from_pretrained(
            folder, local_files_only=True, dtype=torch_dtype(self.dtype)
        )
        tokenizer = _tokenizer(folder, adapter=self.adapter_name)
        images = transformers.CLIPImageProcessorPil.from_pretrained(folder, local_files_only=True)
        settings = {
            "patch_size": model.config.vision_config.patch_size,
            "vision_feature_select_strategy": model.config.vision_feature_select_strategy,
            "num_additional_image_tokens": 1,
        }
        stored = folder / "processor_config.json"
        if stored.is_file():
            saved = json.loads(stored.read_text())
            settings.update({key: saved[key] for key in settings if saved.get(key) is not None})
        processor = transformers.LlavaProcessor(
            image_processor=images,
            tokenizer=tokenizer,
            chat_template=read_chat_template(folder, tokenizer, adapter=self.adapter_name),
            **settings,
        )
        return model, processor
