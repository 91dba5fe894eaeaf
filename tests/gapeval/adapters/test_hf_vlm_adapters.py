"""Qwen2.5-VL, LLaVA and Emu3 adapters on tiny random-weight models (see tiny_vlms.py)."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import pytest
from adapterkit import image_request, text_request
from PIL import Image

from gapeval.adapters.hf_common import WeightsPathError
from gapeval.records import Decoding, ImagePart, Message, TextPart, TurnRequest

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("torch", "transformers", "tokenizers")),
    reason="the Hugging Face adapters need torch, transformers and tokenizers",
)

FAMILIES = ["qwen", "llava", "emu3"]


def make(family: str, weights: str | Path, **options):
    from gapeval.adapters.hf_emu3 import Emu3Adapter
    from gapeval.adapters.hf_vlm import LlavaAdapter, QwenVLAdapter

    kinds = {"qwen": QwenVLAdapter, "llava": LlavaAdapter, "emu3": Emu3Adapter}
    if family == "emu3":
        options.setdefault("image_area", 256)
    return kinds[family](
        weights=str(weights), dtype="float32", device="cpu", max_new_tokens=6, **options
    )


@pytest.fixture(scope="module", params=FAMILIES)
def family(request):
    from tiny_vlms import built

    adapter = make(request.param, built(request.param), max_batch=4)
    adapter.load()
    yield request.param, adapter
    adapter.close()


def picture(colour: str, size: tuple[int, int] = (8, 8)) -> ImagePart:
    return ImagePart.from_image(Image.new("RGB", size, colour), origin="input")


def ragged_requests() -> list[TurnRequest]:
    """Text turns whose prompts differ a lot in length; one has a two-turn history with images."""
    long_text = "Which colour did you draw? " * 6
    dialogue = (
        Message(role="user", parts=(TextPart(text="Draw a red square."),)),
        Message(role="assistant", parts=(picture("red", (16, 16)).model_copy(
            update={"origin": "model"}),)),
        Message(role="user", parts=(TextPart(text="What colour?"), picture("blue"))),
    )
    return [
        text_request("short"),
        text_request("long", history=(Message(role="user", parts=(TextPart(text=long_text),)),)),
        text_request("dialogue", history=dialogue),
        image_request("seen", history_colour="green", output={"kind": "text"}),
    ]


def texts(results) -> list[str]:
    assert all(result.status == "ok" for result in results), results
    return [result.output.text for result in results]


def test_batched_greedy_equals_one_by_one_with_ragged_prompts(family):
    _, adapter = family
    requests = ragged_requests()
    batched = adapter.run_turns(requests)
    single = [adapter.run_turns([request])[0] for request in requests]
    assert texts(batched) == texts(single)
    lengths = [result.usage.input_tokens for result in batched]
    assert lengths[1] - lengths[0] >= 20  # the batch really was padded
    assert all(0 < result.usage.output_tokens <= 6 for result in batched)


def test_the_history_image_reaches_the_model(family):
    _, adapter = family
    asks = [
        image_request("g1", history_colour=colour, output={"kind": "text"}, request_id=colour)
        for colour in ("red", "blue")
    ]
    red, blue = texts(adapter.run_turns(asks))
    assert red != blue


def test_sampling_is_seeded_per_request_and_batch_independent(family):
    _, adapter = family
    hot = Decoding(temperature=1.0)
    requests = [text_request("q1", seed=s, decoding=hot, request_id=f"r{s}") for s in range(4)]
    batched = texts(adapter.run_turns(requests))
    single = [texts(adapter.run_turns([request]))[0] for request in requests]
    assert batched == single
    assert len(set(batched)) > 1  # different seeds, different draws


def test_save_then_load_gives_the_same_output(family):
    name, adapter = family
    requests = ragged_requests()[:2] + [image_request("g1", history_colour="red")]
    before = adapter.run_turns(requests)
    folder = Path(tempfile.mkdtemp(prefix=f"resaved-{name}-"))
    adapter.model.save_pretrained(folder)
    adapter.processor.tokenizer.save_pretrained(folder)
    adapter.processor.image_processor.save_pretrained(folder)
    again = make(name, folder, max_batch=4)
    again.load()
    after = again.run_turns(requests)
    timeless = {"latency_s"}
    assert [r.model_dump(exclude=timeless) for r in before] == [
        r.model_dump(exclude=timeless) for r in after
    ]
    assert again.fingerprint()["weights"] == str(folder.resolve())


@pytest.mark.parametrize("name", FAMILIES)
def test_missing_or_empty_weights_folder_is_a_clear_error(name, tmp_path):
    missing = tmp_path / "nothing-here"
    with pytest.raises(WeightsPathError, match="nothing-here.*does not exist"):
        make(name, missing).load()
    with pytest.raises(WeightsPathError, match="is not a model folder .no config.json."):
        make(name, tmp_path).load()


@pytest.mark.parametrize("name", ["qwen", "llava"])
def test_a_generation_turn_to_a_vlm_is_unsupported(name):
    adapter = make(name, "/never/loaded")  # unsupported turns never reach the model
    (result,) = adapter.run_turns([image_request("g1", history_colour="red")])
    assert result.status == "unsupported"
    assert "image_out=False" in result.error


def test_fingerprint_names_weights_dtype_device_and_versions(family):
    name, adapter = family
    fingerprint = adapter.fingerprint()
    assert fingerprint["adapter"] == adapter.adapter_name
    assert Path(fingerprint["weights"]) == Path(adapter.weights).resolve()
    assert (fingerprint["dtype"], fingerprint["device"]) == ("float32", "cpu")
    assert len(fingerprint["config_digest"]) == 16
    assert fingerprint["libraries"]["transformers"] is not None
    assert fingerprint["options"]["max_new_tokens"] == 6


def test_emu3_draws_the_grid_and_resizes_to_the_request():
    from tiny_vlms import built

    adapter = make("emu3", built("emu3"), max_batch=4)
    adapter.load()
    requests = [
        image_request("wide", width=40, height=10),
        image_request("tall", width=12, height=30, history_colour="red"),
    ]
    results = adapter.run_turns(requests)
    for request, result in zip(requests, results, strict=True):
        assert result.status == "ok", result
        rows, columns = result.raw["grid"]
        assert result.usage.output_tokens == rows * (columns + 1)
        assert result.output.open().size == (request.output.width, request.output.height)
    assert results[0].raw["grid"] == [1, 4] and results[1].raw["grid"] == [3, 1]
    unguided = adapter.run_turns([requests[1].model_copy(
        update={"decoding": Decoding(guidance_scale=1.0)})])[0]
    assert unguided.raw["guidance_scale"] == 1.0
    assert unguided.output.sha256 != results[1].output.sha256


def test_emu3_chat_only_checkpoint_answers_generation_turns_unsupported():
    adapter = make("emu3", "/never/loaded", generate_images=False)
    (result,) = adapter.run_turns([image_request("g1")])
    assert result.status == "unsupported"


def test_emu3_grid_math():
    from gapeval.adapters.hf_emu3 import grid_for, grid_state

    assert grid_for(width=16, height=16, image_area=256, factor=8) == (2, 2)
    assert grid_for(width=1000, height=500, image_area=518400, factor=8) == (64, 127)
    assert grid_for(width=1, height=1000, image_area=64, factor=8) == (32, 1)  # at least 1 column
    states = [grid_state(offset, 2, 3) for offset in range(9)]
    assert states == ["visual"] * 3 + ["eol"] + ["visual"] * 3 + ["eol", "done"]


def test_emu3_grid_counts_from_the_last_image_wrapper_token():
    import torch
    from tiny_vlms import built

    adapter = make("emu3", built("emu3"))
    adapter.load()
    tokenizer, mapping = adapter.processor.tokenizer, adapter.model.vocabulary_mapping
    wrapper, eol = tokenizer.image_wrapper_token_id, mapping.eol_token_id
    visual = mapping.image_tokens
    sampler = adapter._grid_sampler([image_request("g1")], [(2, 2)], [1.0], guided=False)
    history_image = [wrapper, visual[0], visual[1], eol, visual[2], visual[3], eol]
    vocabulary = adapter.model.config.text_config.vocab_size

    def next_allowed(generated: list[int]) -> set[int]:
        ids = torch.tensor([[tokenizer.bos_token_id, *history_image, wrapper, *generated]])
        scores = sampler(ids, torch.zeros(1, vocabulary))
        (chosen,) = torch.isfinite(scores[0]).nonzero()[:, 0].tolist()
        return chosen

    assert next_allowed([]) in visual
    assert next_allowed([visual[5]]) in visual
    assert next_allowed([visual[5], visual[6]]) == eol  # third token of the new image's grid
    full = [visual[5], visual[6], eol, visual[7], visual[8], eol]
    assert next_allowed(full) == tokenizer.eos_token_id


def test_unknown_dtype_is_rejected_with_the_choices():
    from gapeval.adapters.hf_vlm import QwenVLAdapter

    with pytest.raises(ValueError, match="unknown dtype 'int3'; use one of float32"):
        QwenVLAdapter(weights="/x", dtype="int3")


def test_registry_entries_build_the_adapters_and_check_their_options(monkeypatch):
    from gapeval.adapters import registry

    entries = {
        "hf-qwen2.5-vl": "gapeval.adapters.hf_vlm:QwenVLAdapter",
        "hf-llava": "gapeval.adapters.hf_vlm:LlavaAdapter",
        "hf-emu3": "gapeval.adapters.hf_emu3:Emu3Adapter",
    }
    for name, target in entries.items():
        monkeypatch.setitem(registry.ADAPTERS, name, target)
        adapter = registry.create_adapter(name, {"weights": "/w", "dtype": "fp16", "device": "cpu"})
        assert adapter.adapter_name == name and adapter.dtype == "float16"
        with pytest.raises(registry.AdapterOptionError, match="needs option 'weights'"):
            registry.create_adapter(name, {})
    with pytest.raises(registry.AdapterOptionError, match="has no option 'image_area'"):
        registry.create_adapter("hf-llava", {"weights": "/w", "image_area": 256})
