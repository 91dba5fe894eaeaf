"""The diffusers adapter on a tiny random-weight Stable Diffusion pipeline (see cases_diffusers)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from adapterkit import image_request

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

import torch  # noqa: E402
from cases_diffusers import build_tiny_pipeline, tiny_pipeline_dir  # noqa: E402

from gapeval.adapters import loaded  # noqa: E402
from gapeval.adapters.diffusers_pipeline import DiffusersAdapter  # noqa: E402
from gapeval.errors import GapevalError  # noqa: E402
from gapeval.records import Decoding, Message, TextPart  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models run fastest on one thread (and do not fight other processes for cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make(**options) -> DiffusersAdapter:
    defaults = dict(device="cpu", num_inference_steps=2, guidance_scale=2.0, max_batch=4)
    return DiffusersAdapter(tiny_pipeline_dir(), **{**defaults, **options})


def pixels(result) -> np.ndarray:
    return np.asarray(result.output.open(), dtype=int)


def test_missing_weights_path_is_a_one_line_error_naming_it(tmp_path):
    missing = tmp_path / "no-such-pipeline"
    with pytest.raises(GapevalError, match="no-such-pipeline.*does not exist") as error:
        DiffusersAdapter(missing)
    assert "\n" not in str(error.value)
    with pytest.raises(GapevalError, match="has no model_index.json"):
        DiffusersAdapter(tmp_path)


@pytest.mark.parametrize(
    "option, value", [("dtype", "float64"), ("device", "tpu"), ("strength", 0.0)]
)
def test_invalid_options_are_reported(option, value):
    with pytest.raises(GapevalError, match=option):
        make(**{option: value})


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(GapevalError, match="device 'cuda' was asked for but torch sees no CUDA"):
        make(device="cuda").load()


def test_image_matches_the_pipeline_seeded_with_the_request_seed():
    request = image_request("g1", width=16, height=16)
    with loaded(make()) as adapter:
        (result,) = adapter.run_turns([request])
        pipe = adapter._pipes["text2image"]
        expected = pipe(
            "Draw g1.", num_inference_steps=2, guidance_scale=2.0, output_type="pil",
            generator=torch.Generator("cpu").manual_seed(request.seed),
        ).images[0]
    assert result.status == "ok" and result.raw["mode"] == "text2image"
    assert np.array_equal(pixels(result), np.asarray(expected, dtype=int))


def test_seeds_prompts_and_steps_change_the_image_and_the_size_is_the_requested_one():
    base = image_request("g1", width=20, height=12)
    other_prompt = TextPart(text="zzz a quite different prompt, 0123456789 qqq")
    variants = [
        base,
        base.model_copy(update={"seed": base.seed + 1}),
        base.model_copy(update={"history": (Message(role="user", parts=(other_prompt,)),)}),
        base.model_copy(update={"decoding": Decoding(num_inference_steps=1)}),
    ]
    with loaded(make()) as adapter:
        results = adapter.run_turns(variants)
    assert [r.output.open().size for r in results] == [(20, 12)] * 4
    assert len({r.output.sha256 for r in results}) == 4
    assert [r.raw["num_inference_steps"] for r in results] == [2, 2, 2, 1]


def test_batch_is_one_pipeline_call_and_equals_one_by_one_up_to_rounding():
    requests = [image_request(f"g{i}", width=16, height=16) for i in range(3)]
    with loaded(make()) as adapter:
        unet = adapter._pipes["text2image"].unet
        sizes: list[int] = []
        hook = unet.register_forward_pre_hook(lambda _m, args: sizes.append(args[0].shape[0]))
        batched = adapter.run_turns(requests)
        assert sizes == [6, 6]  # 2 steps, 3 requests x (unconditional + conditional)
        single = [adapter.run_turns([r])[0] for r in requests]
        hook.remove()
    for one, other in zip(batched, single, strict=True):
        assert np.abs(pixels(one) - pixels(other)).max() <= 1


def test_out_of_memory_halves_the_batch_and_every_request_is_answered():
    requests = [image_request(f"g{i}", width=16, height=16) for i in range(3)]
    with loaded(make()) as adapter:
        expected = [adapter.run_turns([r])[0] for r in requests]

        def no_room_for_two(_module, args):
            if args[0].shape[0] > 2:
                raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

        unet = adapter._pipes["text2image"].unet
        hook = unet.register_forward_pre_hook(no_room_for_two)
        results = adapter.run_turns(requests)
        hook.remove()
    assert [r.status for r in results] == ["ok"] * 3
    assert [r.output.sha256 for r in results] == [r.output.sha256 for r in expected]


def test_history_image_uses_image_to_image_and_depends_on_the_image():
    red, blue = (image_request("g1", history_colour=c) for c in ("red", "blue"))
    with loaded(make()) as adapter:
        results = adapter.run_turns([red, blue, red])
    assert [r.raw["mode"] for r in results] == ["image2image"] * 3
    assert results[0].output.sha256 != results[1].output.sha256
    assert np.abs(pixels(results[0]) - pixels(results[2])).max() <= 1


def test_a_saved_image_to_image_pipeline_also_answers_text_to_image(tmp_path):
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image

    source = str(tiny_pipeline_dir())
    pipe = AutoPipelineForText2Image.from_pretrained(source, local_files_only=True)
    AutoPipelineForImage2Image.from_pipe(pipe).save_pretrained(str(tmp_path))
    index = json.loads((tmp_path / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionImg2ImgPipeline"
    adapter = DiffusersAdapter(tmp_path, device="cpu", num_inference_steps=2, guidance_scale=1.0)
    with loaded(adapter):
        requests = [image_request("g1"), image_request("g2", history_colour="red")]
        results = adapter.run_turns(requests)
        assert adapter.capabilities().image_in
    assert [(r.status, r.raw["mode"]) for r in results] == [
        ("ok", "text2image"), ("ok", "image2image")
    ]


def test_save_then_load_again_gives_the_same_image_and_fingerprint():
    request = image_request("g1", history_colour="green")
    outputs, prints = [], []
    for _ in range(2):
        with loaded(make()) as adapter:
            outputs.append(adapter.run_turns([request])[0].output.sha256)
            prints.append(adapter.fingerprint())
    assert outputs[0] == outputs[1] and prints[0] == prints[1]
    assert prints[0]["weights"] == str(tiny_pipeline_dir().resolve())
    assert prints[0]["pipeline"] == "StableDiffusionPipeline"
    assert prints[0]["dtype"] == "float32" and prints[0]["device"] == "cpu"
    assert prints[0]["libraries"]["diffusers"] is not None


def test_a_changed_component_config_changes_the_fingerprint(tmp_path):
    other = build_tiny_pipeline(tmp_path, seed=1)
    cfg = json.loads((other / "unet" / "config.json").read_text())
    cfg["norm_eps"] = 1e-6
    (other / "unet" / "config.json").write_text(json.dumps(cfg))
    first, second = make(), DiffusersAdapter(other, device="cpu", num_inference_steps=2)
    assert first.fingerprint()["config_sha256"] != second.fingerprint()["config_sha256"]


def test_bfloat16_loads_in_bfloat16_and_still_gives_rgb_images():
    with loaded(make(dtype="bfloat16")) as adapter:
        assert adapter._pipes["text2image"].unet.dtype == torch.bfloat16
        (result,) = adapter.run_turns([image_request("g1", width=10, height=6)])
        assert adapter.fingerprint()["dtype"] == "bfloat16"
    assert result.status == "ok"
    image = result.output.open()
    assert image.mode == "RGB" and image.size == (10, 6)


def test_understanding_turns_are_unsupported():
    with loaded(make()) as adapter:
        (result,) = adapter.run_turns([image_request("g1", output={"kind": "text"})])
    assert result.status == "unsupported" and "text_out=False" in result.error


def test_the_registry_entry_reports_a_missing_weights_path_on_one_line(monkeypatch, tmp_path):
    from gapeval.adapters import ADAPTERS, create_adapter

    target = "gapeval.adapters.diffusers_pipeline:DiffusersAdapter"
    monkeypatch.setitem(ADAPTERS, "diffusers", target)
    with pytest.raises(GapevalError, match=r"weights path '.*/gone' does not exist") as error:
        create_adapter("diffusers", {"weights": str(tmp_path / "gone")})
    assert "\n" not in str(error.value)
    built = create_adapter("diffusers", {"weights": str(tiny_pipeline_dir()), "device": "cpu"})
    assert built.capabilities().image_out and not built.capabilities().text_out
