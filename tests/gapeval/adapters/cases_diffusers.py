"""Contract cases for the diffusers adapter: a tiny random-weight Stable Diffusion pipeline.

The pipeline (a 2-level UNet, a 2-level VAE, a 1-layer CLIP text encoder and a character-level
CLIP tokenizer whose vocabulary is written here) is built once per module, lazily, saved with
``save_pretrained`` into a ``tempfile.mkdtemp()`` folder and loaded by the adapter's real
``load()``. It generates 16x16 images in a few milliseconds on CPU.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

MISSING = [m for m in ("torch", "diffusers", "transformers") if importlib.util.find_spec(m) is None]
SKIP_REASON = f"diffusers adapter needs {', '.join(MISSING)}" if MISSING else None

_BUILT: dict[int, Path] = {}
_CHARS = "abcdefghijklmnopqrstuvwxyz"


def write_tokenizer(folder: Path) -> None:
    """A character-level CLIP tokenizer: vocab.json and an empty merges.txt."""
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in _CHARS + ".,?!0123456789":
        vocab[symbol] = len(vocab)
    for symbol in _CHARS:
        vocab[symbol + "</w>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")


def build_tiny_pipeline(folder: Path, *, seed: int = 0) -> Path:
    """Save a tiny random-weight StableDiffusionPipeline into ``folder`` and return it."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, block_out_channels=(8, 16),
        layers_per_block=1, norm_num_groups=4, cross_attention_dim=16, attention_head_dim=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 16),
        norm_num_groups=4, sample_size=16,
        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=80, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
            num_attention_heads=2, max_position_embeddings=32, projection_dim=16,
            bos_token_id=0, eos_token_id=1, pad_token_id=1,
        )
    )
    scratch = Path(tempfile.mkdtemp(prefix="tiny-clip-tok-"))
    write_tokenizer(scratch)
    tokenizer = CLIPTokenizer(
        str(scratch / "vocab.json"), str(scratch / "merges.txt"), model_max_length=32
    )
    scheduler = DDIMScheduler(
        num_train_timesteps=100, beta_schedule="linear", clip_sample=False, steps_offset=1
    )
    pipe = StableDiffusionPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.save_pretrained(str(folder))
    return folder


def tiny_pipeline_dir(seed: int = 0) -> Path:
    """The folder of the tiny pipeline with ``seed``, built on first use."""
    if seed not in _BUILT:
        _BUILT[seed] = build_tiny_pipeline(Path(tempfile.mkdtemp(prefix="tiny-sd-")), seed=seed)
    return _BUILT[seed]


def _adapter(**options):
    import torch

    from gapeval.adapters.diffusers_pipeline import DiffusersAdapter

    class OneThread(DiffusersAdapter):
        """Runs on one CPU thread while loaded: tiny models are fastest so on a busy machine."""

        def load(self) -> None:
            self._threads = torch.get_num_threads()
            torch.set_num_threads(1)
            super().load()

        def close(self) -> None:
            super().close()
            torch.set_num_threads(self._threads)

    defaults = dict(device="cpu", num_inference_steps=2, guidance_scale=2.0, max_batch=3)
    return OneThread(tiny_pipeline_dir(), **{**defaults, **options})


CASES: dict[str, Callable[[], object]] = {
    "diffusers-tiny-sd": _adapter,
    "diffusers-tiny-sd-unguided": lambda: _adapter(guidance_scale=1.0, max_batch=1),
}
