"""Janus specifics beyond the contract suite: loading, left padding, seeding, image conditioning."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from adapterkit import image_request, text_request  # noqa: E402
from PIL import Image  # noqa: E402

from gapeval.adapters.hf_common import WeightsPathError  # noqa: E402
from gapeval.adapters.hf_janus import JanusAdapter, chat_messages  # noqa: E402
from gapeval.adapters.hf_janus_decode import unconditional_ids  # noqa: E402
from gapeval.adapters.registry import AdapterOptionError  # noqa: E402
from gapeval.records import (  # noqa: E402
    Decoding,
    ImagePart,
    Message,
    TextPart,
    TurnRequest,
)
from gapeval.store import answer_digest  # noqa: E402

PROMPTS = [
    "Hi?",
    "What colour is this picture? Answer with one letter.",
    "Draw a red circle.",
    "Count the green triangles and describe the picture in a few words, then answer A, B or C.",
    "Question q2?",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from gapeval.adapters.tiny_janus import build_tiny_janus

    return build_tiny_janus(tmp_path_factory.mktemp("tiny-janus"), seed=0)


def make(folder, **options) -> JanusAdapter:
    adapter = JanusAdapter(
        weights=folder, device="cpu", dtype="float32", **{"max_new_tokens": 12, **options}
    )
    adapter.load()
    return adapter


@pytest.fixture(scope="module")
def adapter(folder):
    built = make(folder)
    yield built
    built.close()


def asked(text: str, item: str, **changes) -> TurnRequest:
    history = (Message(role="user", parts=(TextPart(text=text),)),)
    return text_request(item, history=history, **changes)


def digests(results) -> list[str]:
    assert all(result.status == "ok" for result in results), results
    return [answer_digest(result) for result in results]


def test_missing_weights_path_is_a_one_line_error_naming_it(tmp_path):
    with pytest.raises(WeightsPathError, match="does not exist") as caught:
        JanusAdapter(weights=tmp_path / "nope", device="cpu").load()
    assert str(tmp_path / "nope") in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(WeightsPathError, match="no config.json"):
        JanusAdapter(weights=tmp_path, device="cpu").load()


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"device": "gpu0"}, "device 'gpu0'"),
        ({"max_batch": 0}, "max_batch"),
        ({"guidance_scale": -1.0}, "guidance_scale"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
    ],
)
def test_bad_options_are_named(options, fragment):
    with pytest.raises(AdapterOptionError, match=fragment):
        JanusAdapter(weights="/anywhere", **options)


def test_default_dtype_follows_the_device():
    assert JanusAdapter(weights="/w", device="cpu").dtype == "float32"
    assert JanusAdapter(weights="/w", device="cuda:1").dtype == "bfloat16"
    assert JanusAdapter(weights="/w", device="cuda", dtype="fp16").dtype == "float16"


def test_save_then_load_gives_the_same_outputs(folder, adapter, tmp_path):
    requests = [asked(PROMPTS[1], "q1"), image_request("g1", history_colour="red")]
    first = adapter.run_turns(requests)
    twin = make(folder)
    assert digests(twin.run_turns(requests)) == digests(first)
    resaved = tmp_path / "resaved"
    twin.model.save_pretrained(resaved)
    twin.processor.save_pretrained(resaved)
    copy = make(resaved)
    assert digests(copy.run_turns(requests)) == digests(first)


def test_batched_greedy_text_equals_one_by_one_with_left_padding(adapter):
    requests = [asked(text, f"q{i}") for i, text in enumerate(PROMPTS)]
    batched = adapter.run_turns(requests)
    single = [adapter.run_turns([request])[0] for request in requests]
    assert digests(batched) == digests(single)
    lengths = {result.usage.input_tokens for result in batched}
    assert len(lengths) == len(PROMPTS)  # every prompt padded to a different extent
    assert len({result.output.text for result in batched}) >= 3  # outputs depend on the prompt
    assert all(0 < result.usage.output_tokens <= 12 for result in batched)


def test_sampled_text_is_seeded_per_request(adapter):
    hot = Decoding(temperature=1.5)
    requests = [asked(PROMPTS[1], "q1", seed=seed, decoding=hot) for seed in (1, 2, 3, 4)]
    batched = digests(adapter.run_turns(requests))
    assert batched == digests([adapter.run_turns([r])[0] for r in reversed(requests)])[::-1]
    assert len(set(batched)) == len(requests)  # different seeds, different answers


def test_history_image_changes_the_generated_image(adapter):
    plain = image_request("g1")
    red = image_request("g1", history_colour="red")
    blue = image_request("g1", history_colour="blue")
    shas = [result.output.sha256 for result in adapter.run_turns([plain, red, blue])]
    assert len(set(shas)) == 3
    again = adapter.run_turns([red])[0].output.sha256
    assert again == shas[1]


def test_image_turns_are_seeded_and_sized(adapter):
    requests = [image_request("g1", width=40, height=30, seed=seed) for seed in (5, 6)]
    results = adapter.run_turns(requests)
    assert results[0].output.sha256 != results[1].output.sha256
    assert results[0].output.open().size == (40, 30)
    assert results[0].usage.output_tokens == 16  # a 4 x 4 grid of VQ tokens
    assert results[0].raw["temperature"] == 1.0 and results[0].raw["guidance_scale"] == 5.0
    cold = image_request("g1", seed=5, decoding=Decoding(guidance_scale=1.0))
    assert adapter.run_turns([cold])[0].output.sha256 != results[0].output.sha256


def test_the_models_own_earlier_image_conditions_the_next_turn(adapter):
    def turn_two(colour: str) -> TurnRequest:
        earlier = ImagePart.from_image(Image.new("RGB", (16, 16), colour), origin="model")
        history = (
            Message(role="user", parts=(TextPart(text="Draw a circle."),)),
            Message(role="assistant", parts=(earlier,)),
            Message(role="user", parts=(TextPart(text="Draw it bigger."),)),
        )
        return image_request("d1-t2", history=history, session="d1", turn=2)

    messages = chat_messages(turn_two("red"))
    assert messages[1] == {"role": "assistant", "content": [{"type": "image"}]}
    red, green = adapter.run_turns([turn_two("red"), turn_two("green")])
    assert red.output.sha256 != green.output.sha256


def test_out_of_memory_halves_the_batch_and_answers_the_same(adapter, monkeypatch):
    import torch

    requests = [asked(text, f"q{i}") for i, text in enumerate(PROMPTS[:4])]
    expected = digests(adapter.run_turns(requests))
    inner = adapter._answer_text
    sizes: list[int] = []

    def tight(batch):
        sizes.append(len(batch))
        if len(batch) > 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return inner(batch)

    monkeypatch.setattr(adapter, "_answer_text", tight)
    assert digests(adapter.run_turns(requests)) == expected
    assert sizes == [4, 2, 1, 1, 2, 1, 1]


def test_unconditional_branch_keeps_only_bos_and_begin_of_image():
    import torch

    ids = torch.tensor([[0, 0, 1, 7, 8, 9], [1, 5, 6, 7, 8, 9]])
    mask = (ids != 0).long()
    mask[1, 0] = 1
    blank = unconditional_ids(ids, mask, pad_id=0)
    assert blank.tolist() == [[0, 0, 1, 0, 0, 9], [1, 0, 0, 0, 0, 9]]


def test_fingerprint_names_weights_dtype_device_and_versions(adapter, folder):
    fingerprint = adapter.fingerprint()
    assert fingerprint["adapter"] == "hf-janus"
    assert fingerprint["weights"] == str(folder.resolve())
    assert (fingerprint["dtype"], fingerprint["device"]) == ("float32", "cpu")
    assert fingerprint["libraries"]["torch"] and fingerprint["libraries"]["transformers"]
    assert len(fingerprint["config_digest"]) == 16


def test_seeded_draws_follow_the_distribution_and_the_cuts():
    import torch

    from gapeval.adapters.hf_janus_decode import choose_tokens

    rows = 4000
    logits = torch.log(torch.tensor([[0.1, 0.6, 0.3, 0.0]])).repeat(rows, 1)
    generators = [torch.Generator().manual_seed(seed) for seed in range(rows)]
    plain = [Decoding(temperature=1.0)] * rows
    drawn = choose_tokens(logits, plain, [1.0] * rows, generators)
    shares = torch.bincount(drawn, minlength=4).float() / rows
    assert torch.allclose(shares, torch.tensor([0.1, 0.6, 0.3, 0.0]), atol=0.03)  # ~4 SE
    regen = [torch.Generator().manual_seed(seed) for seed in range(rows)]
    assert torch.equal(choose_tokens(logits, plain, [1.0] * rows, regen), drawn)
    cut = [Decoding(temperature=1.0, top_p=0.65)] * 200 + [Decoding(temperature=1.0, top_k=2)] * 200
    few = choose_tokens(logits[:400], cut, [1.0] * 400, generators[:400])
    assert set(few[:200].tolist()) == {1, 2} and set(few[200:].tolist()) == {1, 2}
    greedy = choose_tokens(logits[:3], [Decoding()] * 3, [0.0] * 3, generators[:3])
    assert greedy.tolist() == [1, 1, 1]
