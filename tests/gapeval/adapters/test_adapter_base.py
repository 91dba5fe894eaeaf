"""The adapter protocol and the TurnAdapter base class."""

from __future__ import annotations

import pytest
from adapterkit import image_request, text_request

from gapeval.adapters import (
    Adapter,
    AdapterContractError,
    AsyncAdapter,
    Capabilities,
    TurnAdapter,
    check_results,
    library_versions,
    loaded,
    unsupported_reason,
)
from gapeval.adapters.scripted import AsyncScriptedAdapter, ScriptedAdapter
from gapeval.records import TextPart, TurnResult


class Echo(TurnAdapter):
    """Answers the item id; fails on items named 'bad'; 'oom' when a batch exceeds oom_above."""

    def __init__(self, *, max_batch: int = 4, oom_above: int | None = None) -> None:
        self.max_batch = max_batch
        self.oom_above = oom_above
        self.batches: list[list[str]] = []

    def capabilities(self) -> Capabilities:
        return Capabilities(image_in=False, max_batch=self.max_batch)

    def answer_batch(self, requests):
        self.batches.append([request.item for request in requests])
        if self.oom_above is not None and len(requests) > self.oom_above:
            raise MemoryError("CUDA out of memory (simulated)")
        if any(request.item == "bad" for request in requests):
            raise ValueError("cannot tokenise item 'bad'")
        return [
            TurnResult(request_id=r.request_id, status="ok", output=TextPart(text=r.item))
            for r in requests
        ]


def test_protocols_are_satisfied_by_the_mocks():
    assert isinstance(ScriptedAdapter(), Adapter)
    assert isinstance(AsyncScriptedAdapter(), AsyncAdapter)
    assert isinstance(Echo(), Adapter)
    assert not isinstance(object(), Adapter)


def test_run_turns_keeps_order_batches_and_isolates_a_bad_request():
    adapter = Echo(max_batch=3)
    items = ["a", "b", "bad", "c", "d"]
    results = adapter.run_turns([text_request(item) for item in items])
    assert [r.request_id for r in results] == [f"{item}/0" for item in items]
    assert [r.status for r in results] == ["ok", "ok", "error", "ok", "ok"]
    assert results[2].error == "ValueError: cannot tokenise item 'bad'"
    assert [r.output.text for r in results if r.status == "ok"] == ["a", "b", "c", "d"]
    # first batch [a, b, bad] fails, is halved into [a] and [b, bad], then [b] and [bad]
    assert adapter.batches == [["a", "b", "bad"], ["a"], ["b", "bad"], ["b"], ["bad"], ["c", "d"]]
    assert all(r.latency_s is not None and r.latency_s >= 0 for r in results if r.status == "ok")


def test_out_of_memory_halves_the_batch_until_it_fits():
    adapter = Echo(max_batch=8, oom_above=2)
    results = adapter.run_turns([text_request(f"q{i}") for i in range(8)])
    assert [r.status for r in results] == ["ok"] * 8
    sizes = [len(batch) for batch in adapter.batches]
    assert sizes == [8, 4, 2, 2, 4, 2, 2]


def test_unsupported_requests_never_reach_the_model():
    adapter = Echo()
    results = adapter.run_turns([image_request("g1"), text_request("q1"), image_request("g2")])
    assert [r.status for r in results] == ["unsupported", "ok", "unsupported"]
    assert results[0].error == "the model cannot generate images (image_out=False)"
    assert adapter.batches == [["q1"]]


def test_unsupported_reason_covers_each_capability():
    picture = image_request("g", history_colour="red", output={"kind": "text"})
    assert unsupported_reason(picture, Capabilities()) == (
        "the model cannot read images (image_in=False); the history has 1"
    )
    assert unsupported_reason(picture, Capabilities(image_in=True)) is None
    assert unsupported_reason(text_request(), Capabilities(text_out=False, image_out=True)) == (
        "the model cannot answer in text (text_out=False)"
    )


def test_check_results_names_count_and_order_violations():
    requests = [text_request("a"), text_request("b")]
    ok = [TurnResult.unsupported(r, "x") for r in requests]
    check_results(requests, ok)
    with pytest.raises(AdapterContractError, match="returned 1 results for 2 requests"):
        check_results(requests, ok[:1])
    with pytest.raises(AdapterContractError, match="result 0 has request_id 'b/0' but request 0 is 'a/0'"):
        check_results(requests, ok[::-1])


def test_an_adapter_returning_too_few_results_gets_error_results_instead():
    class Lossy(Echo):
        def answer_batch(self, requests):
            return super().answer_batch(requests)[:1]

    results = Lossy(max_batch=2).run_turns([text_request("a"), text_request("b")])
    assert [r.status for r in results] == ["ok", "ok"]  # halved to singles, each then complete


def test_loaded_closes_even_after_an_error():
    adapter = ScriptedAdapter()
    with pytest.raises(RuntimeError, match="boom"), loaded(adapter):
        assert adapter.loaded
        raise RuntimeError("boom")
    assert not adapter.loaded


def test_library_versions_reads_metadata_without_importing():
    versions = library_versions("pydantic", "surely-not-installed-dist")
    assert versions["surely-not-installed-dist"] is None
    assert versions["pydantic"].split(".")[0] == "2"
