"""Records: validation, JSON round trips, image parts and the seed function."""

from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image
from pydantic import ValidationError

from gapeval.records import (
    MAX_SEED,
    Decoding,
    ImagePart,
    ItemInfo,
    Message,
    OutputSpec,
    TextPart,
    TurnRequest,
    TurnResult,
    Usage,
    derive_seed,
    encode_png,
)


def red_square(size: tuple[int, int] = (8, 6)) -> Image.Image:
    return Image.new("RGB", size, (255, 0, 0))


def dialogue_request(**changes: object) -> TurnRequest:
    image = ImagePart.from_image(red_square(), origin="input")
    fields: dict[str, object] = dict(
        request_id="d1/2/0",
        model="mock",
        item="d1-t2",
        session="d1",
        turn=2,
        sample=0,
        seed=derive_seed(7, "d1", 2, 0),
        history=(
            Message(role="user", parts=(TextPart(text="Look:"), image)),
            Message(role="assistant", parts=(TextPart(text="A red square."),)),
            Message(role="user", parts=(TextPart(text="Now draw it blue."),)),
        ),
        output=OutputSpec(kind="image", width=32, height=16),
        decoding=Decoding(temperature=0.7, top_p=0.9, guidance_scale=5.0),
        info=ItemInfo(pair="p1", category="colour", subtask="recolour"),
    )
    fields.update(changes)
    return TurnRequest.model_validate(fields)


def test_request_round_trips_through_json_with_tagged_parts():
    request = dialogue_request()
    text = request.model_dump_json()
    payload = json.loads(text)
    assert [part["type"] for part in payload["history"][0]["parts"]] == ["text", "image"]
    assert "data" not in payload["history"][0]["parts"][1]  # bytes never serialised
    back = TurnRequest.model_validate_json(text)
    assert back == request
    assert isinstance(back.history[0].parts[1], ImagePart)
    assert back.images[0].sha256 == request.images[0].sha256
    assert (back.unit, back.direction) == ("d1", "generation")
    assert back.history[0].text == "Look:"


def test_records_are_frozen_and_reject_unknown_fields():
    request = dialogue_request()
    with pytest.raises(ValidationError, match="frozen"):
        request.seed = 3  # type: ignore[misc]
    with pytest.raises(ValidationError, match="temprature"):
        Decoding(temprature=0.5)  # type: ignore[call-arg]


def test_image_part_hashes_png_bytes_and_reopens_pixels():
    image = red_square((5, 4))
    part = ImagePart.from_image(image, origin="model")
    assert part.sha256 == hashlib.sha256(encode_png(image)).hexdigest()
    assert (part.width, part.height, part.origin) == (5, 4, "model")
    assert part.open().getpixel((2, 2)) == (255, 0, 0)
    # equal content gives equal parts whether or not the bytes are attached
    assert part == part.model_copy(update={"data": None})


def test_image_part_from_file_checks_hash(tmp_path):
    path = tmp_path / "in.png"
    path.write_bytes(encode_png(red_square()))
    part = ImagePart.from_file(path, origin="gold")
    assert part.read_bytes() == path.read_bytes()
    path.write_bytes(encode_png(red_square((3, 3))))
    with pytest.raises(ValueError, match="does not hash to sha256"):
        part.read_bytes()


def test_image_part_validation_messages():
    with pytest.raises(ValidationError, match="64 lower-case hex"):
        ImagePart(sha256="ABC", width=1, height=1, origin="input")
    with pytest.raises(ValidationError, match="do not hash"):
        ImagePart(sha256="0" * 64, width=1, height=1, origin="input", data=b"x")
    with pytest.raises(ValidationError, match="origin"):
        ImagePart(sha256="0" * 64, width=1, height=1, origin="web")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has no bytes and no path"):
        ImagePart(sha256="0" * 64, width=1, height=1, origin="input").read_bytes()


def test_output_spec_requires_size_exactly_for_images():
    assert OutputSpec(kind="image", width=4, height=5).width == 4
    with pytest.raises(ValidationError, match="image output needs width and height"):
        OutputSpec(kind="image", width=4)
    with pytest.raises(ValidationError, match="text output takes no width"):
        OutputSpec(kind="text", width=4, height=4)


def test_request_needs_session_and_turn_together_and_a_history():
    with pytest.raises(ValidationError, match="give both session and turn"):
        dialogue_request(turn=None)
    with pytest.raises(ValidationError, match="empty history"):
        dialogue_request(history=())
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        dialogue_request(turn=0)
    standalone = dialogue_request(session=None, turn=None, item="q9")
    assert standalone.unit == "q9"


def test_result_status_rules():
    request = dialogue_request()
    with pytest.raises(ValidationError, match="status 'ok' needs an output part"):
        TurnResult(request_id="r", status="ok")
    with pytest.raises(ValidationError, match="status 'error' needs an error message"):
        TurnResult(request_id="r", status="error")
    with pytest.raises(ValidationError, match="only errors can be transient"):
        TurnResult(request_id="r", status="refused", transient=True)
    failure = TurnResult.failure(request, "429", transient=True, retry_after_s=1.5)
    assert (failure.status, failure.transient, failure.retry_after_s) == ("error", True, 1.5)
    unsupported = TurnResult.unsupported(request, "no image output")
    assert (unsupported.request_id, unsupported.status) == ("d1/2/0", "unsupported")


def test_result_round_trip_with_image_output_and_raw_extras():
    part = ImagePart.from_image(red_square(), origin="model")
    result = TurnResult(
        request_id="r",
        status="ok",
        output=part,
        usage=Usage(input_tokens=12, output_tokens=576),
        latency_s=0.25,
        raw={"finish_reason": "stop", "ids": [1, 2]},
    )
    back = TurnResult.model_validate_json(result.model_dump_json())
    assert back == result
    assert back.output.data is None and back.raw["ids"] == [1, 2]


def test_derive_seed_reference_values_and_properties():
    # reference values of the documented function: sha256("gapeval-seed-v1|run|unit|turn|sample")
    text = "gapeval-seed-v1|0|q1|0|0"
    expected = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") & MAX_SEED
    assert derive_seed(0, "q1", None, 0) == expected == 239966107477942612
    assert derive_seed(7, "d1", 2, 0) == derive_seed(7, "d1", 2, 0)
    seeds = {derive_seed(run, unit, turn, sample)
             for run in (0, 1) for unit in ("q1", "q2") for turn in (None, 2) for sample in (0, 1)}
    assert len(seeds) == 16  # every coordinate changes the seed
    assert all(0 <= seed <= MAX_SEED for seed in seeds)
