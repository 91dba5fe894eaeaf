"""One contract suite, parametrised over every adapter case (add new adapters to CASES)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from adapterkit import SyncShim, image_request, text_request
from PIL import Image

from gapeval.adapters import Adapter, check_results
from gapeval.adapters.scripted import AsyncScriptedAdapter, ScriptedAdapter
from gapeval.records import (
    ImagePart,
    Message,
    OutputSpec,
    TextPart,
    TurnRequest,
    TurnResult,
    derive_seed,
)
from gapeval.store import answer_digest, redact


#: name -> factory of an (unloaded) synchronous adapter. Real adapters join this list with tiny
#: random-weight models built in a fixture.
CASES: dict[str, Callable[[], Adapter]] = {
    "scripted": lambda: ScriptedAdapter(),
    "scripted-understanding-only": lambda: ScriptedAdapter(
        capabilities={"image_in": True, "image_out": False, "max_batch": 3}
    ),
    "scripted-blind": lambda: ScriptedAdapter(capabilities={"image_in": False}),
    "scripted-text-only": lambda: ScriptedAdapter(
        capabilities={"image_in": False, "image_out": False}
    ),
    "scripted-async": lambda: SyncShim(AsyncScriptedAdapter()),
}


def _family_cases() -> dict[str, Callable[[], Adapter]]:
    """Cases of real adapter families, from ``cases_<family>.py`` beside this file.

    Each such module defines ``CASES`` (name -> factory of an unloaded adapter; async adapters
    wrapped in :class:`SyncShim`) and may define ``SKIP_REASON`` (a string when its optional
    dependency is missing; its cases are then skipped, never silently dropped).
    """
    import importlib.util
    from pathlib import Path

    found: dict[str, Callable[[], Adapter]] = {}
    for path in sorted(Path(__file__).parent.glob("cases_*.py")):
        spec = importlib.util.spec_from_file_location(f"contract_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        reason = getattr(module, "SKIP_REASON", None)
        for name, factory in module.CASES.items():
            if reason:
                found[name] = lambda reason=reason: pytest.skip(reason)
            else:
                found[name] = factory
    return found


CASES.update(_family_cases())


@pytest.fixture(params=sorted(CASES))
def adapter(request):
    built = CASES[request.param]()
    assert isinstance(built, Adapter)
    built.load()
    yield built
    built.close()


def check_kind(request: TurnRequest, result: TurnResult, adapter: Adapter) -> None:
    capabilities = adapter.capabilities()
    can_read = capabilities.image_in or not request.images
    can = can_read and (capabilities.image_out if request.output.kind == "image" else capabilities.text_out)
    if not can:
        assert result.status == "unsupported", result
        return
    assert result.status == "ok", result
    if request.output.kind == "text":
        assert isinstance(result.output, TextPart)
    else:
        assert isinstance(result.output, ImagePart) and result.output.origin == "model"
        picture = result.output.open()
        assert picture.mode == "RGB"
        assert picture.size == (request.output.width, request.output.height)


def mixed_batch() -> list[TurnRequest]:
    return [
        text_request("q1"),
        image_request("g1", width=20, height=12),
        text_request("q2", sample=1),
        image_request("g2", width=16, height=16, history_colour="red"),
        image_request("g3", history_colour="blue", output={"kind": "text"}),
    ]


def test_one_result_per_request_in_order_of_the_right_kind(adapter):
    requests = mixed_batch()
    results = adapter.run_turns(requests)
    check_results(requests, results)
    for request, result in zip(requests, results, strict=True):
        check_kind(request, result, adapter)


def test_empty_batch_gives_empty_results(adapter):
    assert adapter.run_turns([]) == []


def test_three_turn_interleaved_dialogue_runs(adapter):
    picture = ImagePart.from_image(Image.new("RGB", (8, 8), "green"), origin="input")
    history: list[Message] = []
    outputs = [
        OutputSpec(kind="text"),
        OutputSpec(kind="image", width=16, height=16),
        OutputSpec(kind="text"),
    ]
    prompts = [(TextPart(text="What colour?"), picture), (TextPart(text="Draw it bigger."),),
                (TextPart(text="Which colour did you draw?"),)]
    for turn, (parts, output) in enumerate(zip(prompts, outputs, strict=True), start=1):
        history.append(Message(role="user", parts=parts))
        request = TurnRequest(
            request_id=f"d1/{turn}", model="m", item=f"d1#{turn}", session="d1", turn=turn,
            seed=derive_seed(0, "d1", turn, 0), history=tuple(history), output=output,
        )
        (result,) = adapter.run_turns([request])
        check_kind(request, result, adapter)
        reply = result.output if result.status == "ok" else TextPart(text="(no answer)")
        history.append(Message(role="assistant", parts=(reply,)))


def test_same_seed_same_output_and_batched_equals_one_by_one(adapter):
    requests = mixed_batch()
    batched = adapter.run_turns(requests)
    again = adapter.run_turns(requests)
    single = [adapter.run_turns([request])[0] for request in requests]
    digests = [list(map(answer_digest, results)) for results in (batched, again, single)]
    assert digests[0] == digests[1] == digests[2]


def test_history_image_changes_a_generation_turn_where_capable(adapter):
    capabilities = adapter.capabilities()
    if not (capabilities.image_in and capabilities.image_out):
        pytest.skip("the adapter cannot condition image generation on a history image")
    red, blue = (image_request("g1", history_colour=c) for c in ("red", "blue"))
    first, second = adapter.run_turns([red, blue])
    assert first.output.sha256 != second.output.sha256


def test_fingerprint_is_json_and_holds_no_credentials(adapter):
    fingerprint = adapter.fingerprint()
    assert json.loads(json.dumps(fingerprint)) == fingerprint
    assert redact(fingerprint) == fingerprint
