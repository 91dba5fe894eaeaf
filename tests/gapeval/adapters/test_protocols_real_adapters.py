"""Protocols through real model code: a tiny random-weight Janus (weights built in-process, loaded
with local_files_only) runs every protocol; steps with images in the assistant history work."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

from gapeval.model_spec import ModelSpec  # noqa: E402
from gapeval.protocols.spec import parse_protocol_spec  # noqa: E402
from gapeval.runner import RunConfig, run  # noqa: E402
from gapeval.store import Store  # noqa: E402


@pytest.fixture(scope="module")
def janus_weights(tmp_path_factory):
    from gapeval.adapters.tiny_janus import build_tiny_janus

    return build_tiny_janus(tmp_path_factory.mktemp("tiny-janus-protocols"), seed=0)


def test_tiny_janus_answers_every_protocol_step(tmp_path, janus_weights):
    protocols = ("cot", "stepwise", "self-verify:rounds=2", "best-of-n:n=2")
    spec = ModelSpec(name="janus", adapter="hf-janus",
                     options={"weights": str(janus_weights), "device": "cpu", "dtype": "float32",
                              "max_new_tokens": 8})
    config = RunConfig(models=(spec,), protocols=tuple(parse_protocol_spec(p) for p in protocols),
                       include="items", limit=2, score=False)
    report = run(config, tmp_path)
    assert report.complete, report.models[0].first_error
    with Store(tmp_path, create=False) as store:
        steps = store.steps_frame()
        answers = {(a.key.protocol, a.key.unit, a.key.step): a for a in store.answers()}
    assert set(steps.status) == {"ok"}
    finals = steps[steps.step == "final"]
    assert len(finals) == 2 * len(protocols)
    # the understanding item's sketch is an image the model drew, shown back to it as its own
    unit = next(u for (p, u, s) in answers if p == "stepwise" and s == "sketch")
    sketch = answers[("stepwise", unit, "sketch")]
    final = answers[("stepwise", unit, "final")]
    assert sketch.result.output.type == "image" and sketch.request.output.kind == "image"
    assert final.request.history[-2].role == "assistant"
    assert final.request.history[-2].parts[0].sha256 == sketch.result.output.sha256
    assert final.result.output.type == "text"
    # a verdict on an image candidate reads the image in the assistant message
    generation = next(u for (p, u, s) in answers if p == "self-verify" and s == "verify-1"
                      and answers[(p, u, "candidate-1")].result.output.type == "image")
    verdict = answers[("self-verify", generation, "verify-1")].request
    assert verdict.history[-2].parts[0].type == "image" and verdict.output.kind == "text"
