"""Build a tiny random-weight Janus model folder (for ``gapeval demo``, tests and benchmarks).

The demo runs it through the real ``hf-janus`` adapter so that the whole path — chat template,
processor, batching, image generation, store — is exercised without weights or a GPU. Its answers
are those of random weights (scored near zero); it is a plumbing check, not a model.

The folder holds what a real Janus checkpoint holds: ``config.json`` and weights of a
:class:`~transformers.JanusForConditionalGeneration` built from a tiny
:class:`~transformers.JanusConfig` (2-layer Llama, 2-layer vision encoder on 32 px images in
4 x 4 patches, a VQ model decoding a 4 x 4 token grid to 16 x 16 px), a byte-level BPE tokenizer
trained in-process with the special tokens the Janus processor needs, a
:class:`~transformers.JanusImageProcessorPil` and a chat template in the style of Janus-Pro's.
Nothing is downloaded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

#: Image placeholder, begin-of-image and end-of-image tokens (the names Janus-Pro uses).
IMAGE_TOKENS = {
    "image_token": "<image_placeholder>",
    "boi_token": "<begin_of_image>",
    "eoi_token": "<end_of_image>",
}
SPECIAL = ["<pad>", "<bos>", "<eos>", "<unk>", *IMAGE_TOKENS.values(), "<|User|>", "<|Assistant|>"]

#: A chat template in the style of Janus-Pro's: ``<|User|>: text\n\n<|Assistant|>: reply<eos>``,
#: every image (in any role) written as the placeholder on its own line.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}<|User|>: "
    "{% elif message['role'] == 'assistant' %}<|Assistant|>: "
    "{% else %}{{ message['role'] | capitalize }}: {% endif %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}{{ '\\n<image_placeholder>\\n' }}"
    "{% else %}{{ content['text'] }}{% endif %}"
    "{% endfor %}"
    "{% if message['role'] == 'assistant' %}{{ '<eos>' }}{% else %}{{ '\\n\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|Assistant|>:{% endif %}"
)

CORPUS = [
    "What colour is this? Draw a red circle on white.",
    "Question q1? Question q2? Answer with one letter: A, B, C or D.",
    "Draw it bigger. Which colour did you draw? A blue square.",
    "Count the green triangles and describe the picture in a few words.",
]

IMAGE_SIZE = 32
PATCH_SIZE = 8


def build_tokenizer():
    """A byte-level BPE tokenizer trained on :data:`CORPUS`, with Janus's special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    core.train_from_iterator(CORPUS, trainer)
    bos = core.token_to_id("<bos>")
    core.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", bos)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        extra_special_tokens=dict(IMAGE_TOKENS),
        padding_side="left",
    )


def build_config(tokenizer, *, hidden_size: int = 32):
    """A tiny :class:`~transformers.JanusConfig` matching ``tokenizer``'s vocabulary."""
    from transformers import JanusConfig, JanusVisionConfig, JanusVQVAEConfig, LlamaConfig

    grid = IMAGE_SIZE // PATCH_SIZE
    text = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    vision = JanusVisionConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=IMAGE_SIZE,
        patch_size=PATCH_SIZE,
        projection_dim=hidden_size,
        depth=2,
        num_image_tokens=grid * grid,
    )
    vq = JanusVQVAEConfig(
        embed_dim=8,
        num_embeddings=64,
        latent_channels=8,
        base_channels=32,
        channel_multiplier=[1, 1, 1],
        num_res_blocks=1,
        projection_dim=hidden_size,
        image_token_embed_dim=hidden_size,
    )
    return JanusConfig(
        text_config=text,
        vision_config=vision,
        vq_config=vq,
        image_token_id=tokenizer.convert_tokens_to_ids(IMAGE_TOKENS["image_token"]),
    )


def spread_weights(model, *, seed: int, gain: float = 1.5) -> None:
    """Redraw the matrices of ``model`` with variance ``gain**2 / fan_in`` (embeddings: 1).

    The library's initialisation (std 0.02) makes a tiny model's outputs almost constant (greedy
    text repeats one token whatever the prompt); wider weights make outputs depend on inputs, so
    tests comparing outputs can fail.
    """
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() < 2:
                continue
            fan_in = parameter[0].numel()
            std = 1.0 if "embed" in name else gain / fan_in**0.5
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * std)


def build_tiny_janus(folder: str | Path | None = None, *, seed: int = 0) -> Path:
    """Write a tiny random-weight Janus model (weights, tokenizer, processor) to ``folder``.

    Parameters
    ----------
    folder : str or Path, optional
        Where to save; a new temporary folder by default.
    seed : int
        Seed of the random weights.

    Returns
    -------
    Path
        The folder, loadable with ``from_pretrained(folder, local_files_only=True)``.
    """
    import torch
    from transformers import JanusForConditionalGeneration, JanusImageProcessorPil, JanusProcessor

    target = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="tiny-janus-"))
    tokenizer = build_tokenizer()
    config = build_config(tokenizer)
    torch.manual_seed(seed)
    model = JanusForConditionalGeneration(config).eval()
    spread_weights(model, seed=seed)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.save_pretrained(target)
    image_processor = JanusImageProcessorPil(
        size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    processor = JanusProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        chat_template=CHAT_TEMPLATE,
        num_image_tokens=config.vision_config.num_image_tokens,
    )
    processor.save_pretrained(target)
    return target
