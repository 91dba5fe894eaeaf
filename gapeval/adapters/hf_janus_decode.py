"""Decoding loops of the Janus adapter: batched, left-padded, seeded per request.

These functions work on a loaded :class:`transformers.JanusForConditionalGeneration` and tensors
made by its processor. They run their own autoregressive loops over the language model (instead of
``model.generate``) for two reasons:

- sampling draws each request's tokens from that request's own ``torch.Generator``, so an answer
  depends on its seed only, never on which other requests share the batch;
- Janus's ``generate(generation_mode="image")`` ignores ``pixel_values``; here the image loop starts
  from the embedded interleaved history (text tokens, and history images through the understanding
  encoder and aligner), so a generation turn is conditioned on the images before it.

Rows of a batch are left-padded; positions are counted from each row's first real token, so a row
gets the same positions (and, greedy, the same tokens) alone or in a batch.

torch is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gapeval.records import Decoding

__all__ = [
    "GeneratedText",
    "choose_tokens",
    "decode_images",
    "embed_history",
    "generate_image_tokens",
    "generate_text",
    "unconditional_ids",
]


@dataclass(frozen=True)
class GeneratedText:
    """Text tokens generated for one row, and why generation stopped."""

    tokens: list[int]
    """Generated token ids, up to and excluding the end-of-sequence token."""
    finish_reason: str
    """``stop`` (an end-of-sequence token) or ``length`` (the token budget ran out)."""


def embed_history(model: Any, input_ids: Any, pixel_values: Any | None) -> Any:
    """Input embeddings of ``input_ids``, with image placeholder rows replaced by image features.

    Image features come from the understanding path (vision encoder, then aligner), in the order
    the placeholders appear, row by row, exactly as ``JanusModel.forward`` places them.
    """
    embeds = model.get_input_embeddings()(input_ids)
    if pixel_values is None:
        return embeds
    pixel_values = pixel_values.to(device=embeds.device, dtype=embeds.dtype)
    features = model.model.get_image_features(pixel_values).pooler_output
    features = features.reshape(-1, embeds.shape[-1]).to(embeds.dtype)
    mask = (input_ids == model.config.image_token_id).unsqueeze(-1)
    if int(mask.sum()) != features.shape[0]:
        raise ValueError(
            f"{int(mask.sum())} image placeholder tokens but {features.shape[0]} image features; "
            "the processor's num_image_tokens must equal the vision config's"
        )
    return embeds.masked_scatter(mask, features)


def unconditional_ids(input_ids: Any, attention_mask: Any, *, pad_id: int) -> Any:
    """The unconditional branch of classifier-free guidance: every token padded but two.

    Each row keeps its first real token (the beginning of sequence) and its last token (the
    begin-of-image token that starts generation); everything else, history images included,
    becomes the pad token, as in Janus's own text-to-image guidance.
    """
    import torch

    keep = torch.zeros_like(attention_mask, dtype=torch.bool)
    first = attention_mask.long().argmax(dim=-1)
    keep[torch.arange(keep.shape[0], device=keep.device), first] = True
    keep[:, -1] = True
    return torch.where(keep, input_ids, torch.full_like(input_ids, pad_id))


def _positions(attention_mask: Any) -> Any:
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


class _Stepper:
    """Run the language model over a prompt, then one token per row at a time (with a KV cache)."""

    def __init__(self, model: Any, embeds: Any, attention_mask: Any) -> None:
        self.language_model = model.model.language_model
        self.attention_mask = attention_mask
        self.positions = _positions(attention_mask)
        output = self.language_model(
            inputs_embeds=embeds,
            attention_mask=attention_mask,
            position_ids=self.positions,
            use_cache=True,
        )
        self.cache = output.past_key_values
        self.positions = self.positions[:, -1:]
        self.hidden = output.last_hidden_state[:, -1, :]

    def step(self, embeds: Any) -> Any:
        """Feed one embedding per row (``(rows, 1, hidden)``); return the new last hidden states."""
        import torch

        ones = torch.ones_like(self.attention_mask[:, :1])
        self.attention_mask = torch.cat([self.attention_mask, ones], dim=-1)
        self.positions = self.positions + 1
        output = self.language_model(
            inputs_embeds=embeds,
            attention_mask=self.attention_mask,
            position_ids=self.positions,
            past_key_values=self.cache,
            use_cache=True,
        )
        self.cache = output.past_key_values
        self.hidden = output.last_hidden_state[:, -1, :]
        return self.hidden


def choose_tokens(
    logits: Any,
    settings: Sequence[Decoding],
    temperatures: Sequence[float],
    generators: Sequence[Any],
) -> Any:
    """Pick one token per row: argmax at temperature 0, else a seeded draw.

    Rows with a positive temperature have their logits divided by it, cut by ``top_k`` and
    ``top_p`` (from the row's :class:`~gapeval.records.Decoding`) and softmaxed; the token is
    drawn by inverting the row's cumulative distribution at one uniform number from the row's own
    generator, so a row's choice never depends on the other rows of the batch.
    """
    import torch

    chosen = logits.float().argmax(dim=-1)
    hot = [row for row, temperature in enumerate(temperatures) if temperature > 0]
    if not hot:
        return chosen
    device = logits.device
    rows = torch.tensor(hot, device=device)
    scale = torch.tensor([temperatures[row] for row in hot], device=device)[:, None]
    scores = logits[rows].float() / scale
    vocabulary = scores.shape[-1]
    for index, row in enumerate(hot):
        top_k = settings[row].top_k
        if top_k is not None and top_k < vocabulary:
            cutoff = torch.topk(scores[index], top_k).values[-1]
            scores[index] = scores[index].masked_fill(scores[index] < cutoff, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    top_p = [settings[row].top_p for row in hot]
    if any(p < 1.0 for p in top_p):
        mass = torch.tensor([p if p < 1.0 else 2.0 for p in top_p], device=device)[:, None]
        ordered, order = torch.sort(probs, dim=-1, descending=True)
        before = ordered.cumsum(-1) - ordered
        ordered = ordered.masked_fill(before >= mass, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, ordered)
    uniform = torch.stack(
        [torch.rand((), generator=generators[row], device=device) for row in hot]
    )
    cumulative = probs.cumsum(-1)
    target = (uniform * cumulative[:, -1]).unsqueeze(-1).contiguous()
    drawn = torch.searchsorted(cumulative.contiguous(), target, right=True).squeeze(-1)
    last_possible = (probs > 0).long().cumsum(-1).argmax(dim=-1)  # never a zero-mass token
    chosen[rows] = torch.minimum(drawn, last_possible)
    return chosen


def generate_text(
    model: Any,
    *,
    input_ids: Any,
    attention_mask: Any,
    pixel_values: Any | None,
    settings: Sequence[Decoding],
    max_new_tokens: Sequence[int],
    stop_ids: set[int],
    pad_id: int,
    generators: Sequence[Any],
) -> list[GeneratedText]:
    """Generate text for a left-padded batch until every row stops or runs out of budget."""
    import torch

    rows = input_ids.shape[0]
    temperatures = [decoding.temperature for decoding in settings]
    stepper = _Stepper(model, embed_history(model, input_ids, pixel_values), attention_mask)
    tokens: list[list[int]] = [[] for _ in range(rows)]
    reasons: list[str | None] = [None] * rows
    embedding = model.get_input_embeddings()
    for _ in range(max(max_new_tokens)):
        logits = model.lm_head(stepper.hidden)
        chosen = choose_tokens(logits, settings, temperatures, generators).tolist()
        for row, token in enumerate(chosen):
            if reasons[row] is not None:
                continue
            if token in stop_ids:
                reasons[row] = "stop"
                continue
            tokens[row].append(token)
            if len(tokens[row]) >= max_new_tokens[row]:
                reasons[row] = "length"
        if all(reason is not None for reason in reasons):
            break
        feed = [pad_id if reasons[row] is not None else token for row, token in enumerate(chosen)]
        feed_ids = torch.tensor(feed, device=input_ids.device).unsqueeze(-1)
        stepper.step(embedding(feed_ids))
    return [
        GeneratedText(tokens=row_tokens, finish_reason=reason or "length")
        for row_tokens, reason in zip(tokens, reasons, strict=True)
    ]


def generate_image_tokens(
    model: Any,
    *,
    input_ids: Any,
    attention_mask: Any,
    pixel_values: Any | None,
    settings: Sequence[Decoding],
    temperatures: Sequence[float],
    guidance_scales: Sequence[float],
    pad_id: int,
    generators: Sequence[Any],
) -> Any:
    """Sample the VQ tokens of one image per row, with classifier-free guidance.

    The conditional half of the doubled batch is the embedded history ending with the
    begin-of-image token; the unconditional half is :func:`unconditional_ids`. At each step the
    generation head scores the next VQ token in both halves, the guided scores
    ``u + s * (c - u)`` choose it (see :func:`choose_tokens`) and the generation embeddings and
    aligner feed it back to both halves.

    Returns
    -------
    torch.LongTensor
        ``(rows, num_tokens)`` VQ token ids, ``num_tokens`` the VQ model's grid size squared.
    """
    import torch

    rows = input_ids.shape[0]
    grid = model.model.vqmodel.quantize.quant_state_dims
    num_tokens = int(grid[0] * grid[1])
    conditional = embed_history(model, input_ids, pixel_values)
    blank = unconditional_ids(input_ids, attention_mask, pad_id=pad_id)
    unconditional = model.get_input_embeddings()(blank)
    stepper = _Stepper(
        model,
        torch.cat([conditional, unconditional], dim=0),
        torch.cat([attention_mask, attention_mask], dim=0),
    )
    scale = torch.tensor(guidance_scales, device=conditional.device, dtype=torch.float32)[:, None]
    out = torch.zeros((rows, num_tokens), dtype=torch.long, device=input_ids.device)
    for index in range(num_tokens):
        scores = model.model.generation_head(stepper.hidden).float()
        cond, uncond = scores[:rows], scores[rows:]
        guided = uncond + scale * (cond - uncond)
        chosen = choose_tokens(guided, settings, temperatures, generators)
        out[:, index] = chosen
        feed = torch.cat([chosen, chosen]).unsqueeze(-1)
        if index + 1 < num_tokens:
            stepper.step(model.prepare_embeddings_for_image_generation(feed))
    return out


def decode_images(model: Any, processor: Any, tokens: Any) -> list[Any]:
    """Decode VQ tokens to PIL images one row at a time (a row's pixels never depend on others)."""
    pictures = []
    for row in range(tokens.shape[0]):
        pixels = model.model.vqmodel.decode(tokens[row : row + 1]).float().cpu()
        pictures.append(
            processor.postprocess(list(pixels), return_tensors="PIL.Image.Image")["pixel_values"][0]
        )
    return pictures
