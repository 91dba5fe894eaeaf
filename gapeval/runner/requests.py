"""Turn requests built from bank records: prompts, histories, seeds and output sizes.

A standalone item is one request whose history is its prompt. Turn ``t`` of a dialogue carries the
whole interleaved history: for each earlier turn its prompt (a user message) and its output (an
assistant message), then turn ``t``'s prompt. Earlier outputs are the model's own (``self``
history) or, for image turns, the turn's reference image (``gold`` history; text turns keep the
model's own text). References in prompts to earlier images are filled in; a reference to an
output the model did not produce becomes a short text saying so.

Examples
--------
>>> from gapeval.bank import load_bank
>>> builder = RequestBuilder(load_bank("builtin"), run_seed=0)
>>> request = builder.item_request("p", builder.bank.item("clock-001-gen"), sample=0)
>>> request.item, request.output.kind, (request.output.width, request.output.height)
('clock-001-gen', 'image', (128, 128))
>>> dialogue = builder.bank.dialogues[0]
>>> second = builder.turn_request("p", dialogue, 2, sample=0, outputs={1: None})
>>> second.item, second.session, second.turn, [m.role for m in second.history]
('session-001#2', 'session-001', 2, ['user', 'assistant', 'user'])
>>> second.history[-1].parts[0].text
'[image from turn 1 unavailable]'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from gapeval.bank import Bank, BankImage, BankText, Dialogue, Item
from gapeval.records import (
    Decoding,
    ImagePart,
    ItemInfo,
    Message,
    OutputSpec,
    Part,
    TextPart,
    TurnRequest,
    derive_seed,
)

__all__ = ["DEFAULT_IMAGE_SIZE", "NO_ANSWER", "RequestBuilder", "request_id"]

#: Output size of a generation turn with neither a reference nor an input image.
DEFAULT_IMAGE_SIZE = (256, 256)
#: The assistant message standing for an earlier turn without an ok output.
NO_ANSWER = "(no answer)"

History = Literal["bank", "self", "gold"]


def request_id(model: str, unit: str, turn: int | None, sample: int) -> str:
    """The run-unique id of a request: ``model|unit|turn|sample`` (turn 0 for an item)."""
    return f"{model}|{unit}|{turn or 0}|{sample}"


class RequestBuilder:
    """Builds the requests of one run from a loaded bank.

    Parameters
    ----------
    bank : Bank
        The loaded bank; its images are hashed once each (cached).
    run_seed : int
        The run seed.
    decoding : Decoding
        Decoding settings put on every request.
    history : {'bank', 'self', 'gold'}
        Dialogue history mode (``bank``: each dialogue's own ``history`` field).
    """

    def __init__(
        self,
        bank: Bank,
        *,
        run_seed: int,
        decoding: Decoding | None = None,
        history: History = "bank",
    ) -> None:
        self.bank = bank
        self.run_seed = run_seed
        self.decoding = decoding or Decoding()
        self.history = history
        self._images: dict[str, ImagePart] = {}

    # -- bank images ----------------------------------------------------------------------
    def bank_image(self, path: str, *, origin: Literal["input", "gold"] = "input") -> ImagePart:
        """The bank image ``path`` as an image part with an absolute path (hashed once)."""
        key = f"{origin}:{path}"
        if key not in self._images:
            self._images[key] = ImagePart.from_file(self.bank.image_path(path), origin=origin)
        return self._images[key]

    def _output_spec(self, direction: str, reference: str | None, inputs: list[ImagePart]) -> OutputSpec:
        if direction == "understanding":
            return OutputSpec(kind="text")
        if reference is not None:
            gold = self.bank_image(reference, origin="gold")
            return OutputSpec(kind="image", width=gold.width, height=gold.height)
        if inputs:
            return OutputSpec(kind="image", width=inputs[-1].width, height=inputs[-1].height)
        width, height = DEFAULT_IMAGE_SIZE
        return OutputSpec(kind="image", width=width, height=height)

    # -- standalone items -----------------------------------------------------------------
    def item_request(self, model: str, item: Item, *, sample: int) -> TurnRequest:
        """The request of standalone ``item`` for ``model``'s ``sample``-th answer."""
        parts: list[Part] = [
            TextPart(text=part.text) if isinstance(part, BankText) else self.bank_image(part.path)
            for part in item.prompt
        ]
        images = [part for part in parts if isinstance(part, ImagePart)]
        return TurnRequest(
            request_id=request_id(model, item.id, None, sample),
            model=model,
            item=item.id,
            sample=sample,
            seed=derive_seed(self.run_seed, item.id, None, sample),
            history=(Message(role="user", parts=tuple(parts)),),
            output=self._output_spec(item.direction, item.reference, images),
            decoding=self.decoding,
            info=ItemInfo(pair=item.pair, category=item.category, subtask=item.subtask),
        )

    # -- dialogues ------------------------------------------------------------------------
    def is_gold(self, dialogue: Dialogue) -> bool:
        """Whether earlier image outputs are replaced by references in ``dialogue``."""
        mode = dialogue.history if self.history == "bank" else self.history
        return mode == "gold"

    def earlier_output(
        self, dialogue: Dialogue, turn: int, outputs: Mapping[int, Part | None]
    ) -> Part | None:
        """What turn ``turn`` produced, as the history shows it (``None``: nothing)."""
        step = dialogue.turns[turn - 1]
        if self.is_gold(dialogue) and step.direction == "generation" and step.reference:
            return self.bank_image(step.reference, origin="gold")
        return outputs.get(turn)

    def _prompt(
        self, dialogue: Dialogue, turn: int, outputs: Mapping[int, Part | None]
    ) -> list[Part]:
        parts: list[Part] = []
        for part in dialogue.turns[turn - 1].prompt:
            if isinstance(part, BankText):
                parts.append(TextPart(text=part.text))
            elif isinstance(part, BankImage):
                parts.append(self.bank_image(part.path))
            elif part.source == "output":
                earlier = self.earlier_output(dialogue, part.turn, outputs)
                if isinstance(earlier, ImagePart):
                    parts.append(earlier)
                else:
                    parts.append(TextPart(text=f"[image from turn {part.turn} unavailable]"))
            else:
                images = [p for p in self._prompt(dialogue, part.turn, outputs) if isinstance(p, ImagePart)]
                parts.append(images[part.index])
        return parts

    def turn_request(
        self,
        model: str,
        dialogue: Dialogue,
        turn: int,
        *,
        sample: int,
        outputs: Mapping[int, Part | None],
    ) -> TurnRequest:
        """The request of turn ``turn`` (1-based) of ``dialogue``, given earlier ``outputs``.

        ``outputs`` maps each earlier turn to its ok output part (image parts with a readable
        ``path`` or bytes), or ``None`` when the turn gave none.
        """
        history: list[Message] = []
        for earlier in range(1, turn):
            history.append(Message(role="user", parts=tuple(self._prompt(dialogue, earlier, outputs))))
            shown = self.earlier_output(dialogue, earlier, outputs)
            history.append(Message(role="assistant", parts=(shown or TextPart(text=NO_ANSWER),)))
        parts = self._prompt(dialogue, turn, outputs)
        history.append(Message(role="user", parts=tuple(parts)))
        step = dialogue.turns[turn - 1]
        images = [part for part in parts if isinstance(part, ImagePart)]
        return TurnRequest(
            request_id=request_id(model, dialogue.id, turn, sample),
            model=model,
            item=f"{dialogue.id}#{turn}",
            session=dialogue.id,
            turn=turn,
            sample=sample,
            seed=derive_seed(self.run_seed, dialogue.id, turn, sample),
            history=tuple(history),
            output=self._output_spec(step.direction, step.reference, images),
            decoding=self.decoding,
            info=ItemInfo(pair=None, category=dialogue.category, subtask=step.subtask),
        )
