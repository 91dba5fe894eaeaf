"""Request builders shared by the adapter tests (not a test module)."""

from __future__ import annotations

import asyncio

from PIL import Image

from gapeval.records import ImagePart, Message, OutputSpec, TextPart, TurnRequest, derive_seed


def text_request(item: str = "q1", *, sample: int = 0, run_seed: int = 0, **changes) -> TurnRequest:
    fields = dict(
        request_id=f"{item}/{sample}",
        model="mock",
        item=item,
        sample=sample,
        seed=derive_seed(run_seed, item, None, sample),
        history=(Message(role="user", parts=(TextPart(text=f"Question {item}?"),)),),
        output=OutputSpec(kind="text"),
    )
    fields.update(changes)
    return TurnRequest.model_validate(fields)


def image_request(
    item: str = "g1", *, width: int = 24, height: int = 16, history_colour=None, **changes
) -> TurnRequest:
    parts: list = [TextPart(text=f"Draw {item}.")]
    if history_colour is not None:
        picture = Image.new("RGB", (8, 8), history_colour)
        parts.append(ImagePart.from_image(picture, origin="input"))
    fields = dict(
        request_id=f"{item}/0",
        model="mock",
        item=item,
        seed=derive_seed(0, item, None, 0),
        history=(Message(role="user", parts=tuple(parts)),),
        output=OutputSpec(kind="image", width=width, height=height),
    )
    fields.update(changes)
    return TurnRequest.model_validate(fields)


def dialogue_request(session: str, turn: int, *, item: str | None = None) -> TurnRequest:
    return text_request(
        item or f"{session}-t{turn}",
        session=session,
        turn=turn,
        request_id=f"{session}/{turn}",
        seed=derive_seed(0, session, turn, 0),
    )


class SyncShim:
    """Drive an AsyncAdapter through the synchronous protocol, for the contract checks."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def load(self) -> None:
        self.inner.load()

    def close(self) -> None:
        asyncio.run(self.inner.close())

    def capabilities(self):
        return self.inner.capabilities()

    def fingerprint(self):
        return self.inner.fingerprint()

    def run_turns(self, requests):
        return asyncio.run(self.inner.run_turns(requests))
