"""Request and result builders shared by the store tests (not a test module).

Also imported by ``durability_writer.py``, the subprocess of the durability test.
"""

from __future__ import annotations

from PIL import Image

from gapeval.records import (
    ImagePart,
    ItemInfo,
    Message,
    OutputSpec,
    TextPart,
    TurnRequest,
    TurnResult,
    Usage,
    derive_seed,
)


def request(
    item: str,
    *,
    model: str = "mock",
    sample: int = 0,
    session: str | None = None,
    turn: int | None = None,
    image: bool = False,
) -> TurnRequest:
    unit = session if session is not None else item
    return TurnRequest(
        request_id=f"{model}/{unit}/{turn or 0}/{sample}",
        model=model,
        item=item,
        session=session,
        turn=turn,
        sample=sample,
        seed=derive_seed(0, unit, turn, sample),
        history=(Message(role="user", parts=(TextPart(text=f"prompt of {item}"),)),),
        output=OutputSpec(kind="image", width=8, height=8) if image else OutputSpec(kind="text"),
        info=ItemInfo(pair=f"p-{item}", category="cat", subtask="sub"),
    )


def text_result(req: TurnRequest, text: str = "A", **changes) -> TurnResult:
    fields = dict(
        request_id=req.request_id,
        status="ok",
        output=TextPart(text=text),
        usage=Usage(input_tokens=11, output_tokens=1),
        latency_s=0.01,
    )
    fields.update(changes)
    return TurnResult.model_validate(fields)


def image_result(req: TurnRequest, colour=(200, 10, 10)) -> TurnResult:
    part = ImagePart.from_image(Image.new("RGB", (8, 8), colour), origin="model")
    return TurnResult(request_id=req.request_id, status="ok", output=part, usage=Usage(input_tokens=5))
