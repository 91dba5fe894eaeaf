"""Tiny random-weight Qwen2.5-VL, LLaVA and Emu3 folders for the adapter tests (not a test module).

Each builder trains a byte-level BPE tokenizer in-process with the ``tokenizers`` library, wraps it
as ``PreTrainedTokenizerFast`` with the special tokens the model's processor needs and a short chat
template, builds the model from a tiny config with a fixed torch seed, and saves model, tokenizer
and PIL image processor with ``save_pretrained`` into a fresh ``tempfile.mkdtemp()`` folder. The
adapters load these folders with their real ``load()``. :func:`built` builds each once per process.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

CORPUS = [
    "What colour is this image? Draw a red square, a blue circle or a green star.",
    "Question q1? The answer is B. Which colour did you draw? Draw it bigger.",
    "USER: ASSISTANT: system user assistant 0123456789 * A B C D",
]

#: Renders every image part, of any role, as ``{image}``; messages as ``ROLE: text``.
TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}: "
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}{image}"
    "{% else %}{{ part['text'] }} {% endif %}{% endfor %}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)

_BUILT: dict[str, Path] = {}


def train_tokenizer(special: list[str], *, vocab_size: int = 320):
    """A byte-level BPE ``tokenizers.Tokenizer`` trained on :data:`CORPUS`, ``special`` first."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size + len(special),
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS * 4, trainer)
    return tokenizer


def _wrap(special: list[str], image: str, **tokens):
    from transformers import PreTrainedTokenizerFast

    extra = tokens.pop("extra_special_tokens")
    return PreTrainedTokenizerFast(
        tokenizer_object=train_tokenizer(special),
        padding_side="left",
        chat_template=TEMPLATE.replace("{image}", image),
        extra_special_tokens=extra,
        **tokens,
    )


def build_qwen(folder: Path) -> Path:
    """A 2-layer Qwen2.5-VL (hidden 32) with a 2-block vision tower (patch 4, merge 2)."""
    import torch
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2VLImageProcessorPil,
    )

    special = ["<|endoftext|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
               "<|image_pad|>", "<|video_pad|>"]
    tokenizer = _wrap(
        special, "<|vision_start|><|image_pad|><|vision_end|>",
        eos_token="<|im_end|>", pad_token="<|endoftext|>",
        extra_special_tokens={"image_token": "<|image_pad|>", "video_token": "<|video_pad|>"},
    )
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in special}
    config = Qwen2_5_VLConfig(
        text_config=dict(
            vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                             "mrope_section": [2, 1, 1]},
            bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
            pad_token_id=ids["<|endoftext|>"],
        ),
        vision_config=dict(
            depth=2, hidden_size=32, intermediate_size=64, num_heads=4, patch_size=4,
            spatial_merge_size=2, temporal_patch_size=2, window_size=16, out_hidden_size=32,
            fullatt_block_indexes=[1],
        ),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
    )
    torch.manual_seed(0)
    Qwen2_5_VLForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    Qwen2VLImageProcessorPil(
        min_pixels=64, max_pixels=256, patch_size=4, merge_size=2, temporal_patch_size=2
    ).save_pretrained(folder)
    return folder


def build_llava(folder: Path) -> Path:
    """A 2-layer Llama LLaVA (hidden 32) with a 2-layer CLIP vision tower on 16x16 images."""
    import torch
    from transformers import CLIPImageProcessorPil, LlavaConfig, LlavaForConditionalGeneration

    special = ["<pad>", "<s>", "</s>", "<image>"]
    tokenizer = _wrap(
        special, "<image>", bos_token="<s>", eos_token="</s>", pad_token="<pad>",
        extra_special_tokens={"image_token": "<image>"},
    )
    config = LlavaConfig(
        text_config=dict(
            model_type="llama", vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
            num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            max_position_embeddings=1024, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        ),
        vision_config=dict(
            model_type="clip_vision_model", hidden_size=32, intermediate_size=64,
            num_hidden_layers=2, num_attention_heads=4, image_size=16, patch_size=4,
            projection_dim=32,
        ),
        image_token_index=tokenizer.image_token_id,
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    torch.manual_seed(0)
    LlavaForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    CLIPImageProcessorPil(
        size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16}
    ).save_pretrained(folder)
    return folder


#: Size of the tiny Emu3 VQ codebook (visual tokens ``<|visual token000000|>`` ...).
EMU3_CODEBOOK = 64


def build_emu3(folder: Path) -> Path:
    """A 2-layer Emu3 (hidden 32) with a 4-level VQ-VAE (8x downsampling, 64 codes).

    The text model is initialised with a large ``initializer_range`` (0.3) so that its next-token
    distribution depends clearly on its context (a history image changes the generated image).
    """
    import torch
    from transformers import Emu3Config, Emu3ForConditionalGeneration, Emu3ImageProcessor

    visual = [f"<|visual token{code:06d}|>" for code in range(EMU3_CODEBOOK)]
    special = ["<|endoftext|>", "<|extra_203|>", "<|extra_204|>", "<|extra_200|>",
               "<|extra_201|>", "<image>", "<|image start|>", "<|image end|>",
               "<|image token|>", *visual]
    tokenizer = _wrap(
        special, "<image>", bos_token="<|extra_203|>", eos_token="<|extra_204|>",
        pad_token="<|endoftext|>",
        extra_special_tokens={
            "image_token": "<image>", "boi_token": "<|image start|>",
            "eoi_token": "<|image end|>", "image_wrapper_token": "<|image token|>",
            "eof_token": "<|extra_201|>",
        },
    )
    config = Emu3Config(
        vq_config=dict(
            codebook_size=EMU3_CODEBOOK, embed_dim=4, latent_channels=4, base_channels=32,
            channel_multiplier=[1, 1, 1, 1], num_res_blocks=1, attn_resolutions=[],
            temporal_downsample_factor=1, hidden_size=32, num_attention_heads=1,
        ),
        text_config=dict(
            vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
            attention_dropout=0.0, initializer_range=0.3, pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        ),
        vocabulary_map=tokenizer.get_vocab(),
    )
    torch.manual_seed(0)
    Emu3ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    Emu3ImageProcessor(min_pixels=16 * 16, max_pixels=32 * 32, spatial_factor=8).save_pretrained(
        folder
    )
    return folder


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "qwen": build_qwen,
    "llava": build_llava,
    "emu3": build_emu3,
}


def built(family: str) -> Path:
    """The folder of the tiny ``family`` model, built on first use in this process."""
    if family not in _BUILT:
        _BUILT[family] = BUILDERS[family](Path(tempfile.mkdtemp(prefix=f"tiny-{family}-")))
    return _BUILT[family]
