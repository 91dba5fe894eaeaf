"""Helpers the respondents' tests share (not a test module): bank requests built as the runner builds
them, dialogues run turn by turn, scoring. Their contract cases are ``tests/gapeval/adapters/cases_respondents.py``.
"""

from __future__ import annotations

from typing import Any

from gapeval.bank import Bank, Dialogue, Item, McqAnswer, NumberAnswer, VerifierAnswer, resolve_answer
from gapeval.records import ImagePart, ItemInfo, Message, OutputSpec, TextPart, TurnRequest, TurnResult, derive_seed
from gapeval.scoring import Score, score_imug_mcq, score_number, score_text
from gapeval.scoring.verifiers import score_image

def item_request(bank: Bank, item: Item, *, run_seed: int = 0, sample: int = 0) -> TurnRequest:
    """The request the runner sends for a standalone bank item (see the runner conventions)."""
    parts: list[Any] = [
        TextPart(text=p.text) if p.type == "text" else ImagePart.from_file(bank.image_path(p.path), origin="input")
        for p in item.prompt
    ]
    if item.direction == "understanding":
        output = OutputSpec(kind="text")
    else:
        width, height = bank.open_image(item.reference).size if item.reference else (256, 256)
        output = OutputSpec(kind="image", width=width, height=height)
    return TurnRequest(
        request_id=f"{item.id}/{sample}", model="m", item=item.id, sample=sample,
        seed=derive_seed(run_seed, item.id, None, sample),
        info=ItemInfo(pair=item.pair, category=item.category, subtask=item.subtask),
        history=(Message(role="user", parts=tuple(parts)),), output=output,
    )


def score_output(answer: Any, result: TurnResult) -> Score:
    """Score an ``ok`` result against a static bank answer spec (MCQ in ``fixed`` mode)."""
    output = result.output
    if isinstance(answer, VerifierAnswer):
        return score_image(answer, output.open())
    text = output.text
    if isinstance(answer, McqAnswer):
        return score_imug_mcq(text, key=",".join(answer.correct), mode="fixed")
    if isinstance(answer, NumberAnswer):
        return score_number(text, target=answer.value, abs_tol=answer.tolerance)
    return score_text(text, answers=[answer.value, *answer.aliases])


def run_dialogue(
    bank: Bank, adapter: Any, dialogue: Dialogue, *, run_seed: int = 0
) -> list[tuple[int, Score | None, TurnResult]]:
    """Run ``dialogue`` turn by turn as the runner does; return ``(turn, score or None, result)``."""
    outputs: dict[int, Any] = {}
    images: dict[int, Any] = {}
    users: list[Message] = []
    history: list[Message] = []
    rows = []
    for turn in dialogue.turns:
        parts: list[Any] = []
        for part in turn.prompt:
            if part.type == "text":
                parts.append(TextPart(text=part.text))
            elif part.type == "image":
                parts.append(ImagePart.from_file(bank.image_path(part.path), origin="input"))
            elif part.source == "input":
                parts.append([p for p in users[part.turn - 1].parts if isinstance(p, ImagePart)][part.index])
            elif dialogue.history == "gold":
                reference = dialogue.turns[part.turn - 1].reference
                parts.append(ImagePart.from_file(bank.image_path(reference), origin="gold"))
            elif isinstance(outputs.get(part.turn), ImagePart):
                parts.append(outputs[part.turn])
            else:
                parts.append(TextPart(text=f"[image from turn {part.turn} unavailable]"))
        users.append(Message(role="user", parts=tuple(parts)))
        history.append(users[-1])
        if turn.direction == "generation":
            width, height = bank.open_image(turn.reference).size if turn.reference else (256, 256)
            output = OutputSpec(kind="image", width=width, height=height)
        else:
            output = OutputSpec(kind="text")
        request = TurnRequest(
            request_id=f"{dialogue.id}/{turn.index}", model="m", item=f"{dialogue.id}#{turn.index}",
            session=dialogue.id, turn=turn.index, seed=derive_seed(run_seed, dialogue.id, turn.index, 0),
            history=tuple(history), output=output,
        )
        (result,) = adapter.run_turns([request])
        reply: Any = TextPart(text="(no answer)")
        if result.status == "ok":
            outputs[turn.index] = reply = result.output
            if isinstance(result.output, ImagePart):
                images[turn.index] = result.output.open()
                if dialogue.history == "gold" and turn.reference:
                    reply = ImagePart.from_file(bank.image_path(turn.reference), origin="gold")
        history.append(Message(role="assistant", parts=(reply,)))
        spec = resolve_answer(dialogue, turn.index, outputs=images, open_image=bank.open_image)
        score = None if spec is None or result.status != "ok" else score_output(spec, result)
        rows.append((turn.index, score, result))
    return rows
