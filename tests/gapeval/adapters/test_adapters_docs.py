"""docs/adapters.md is true to the code: its example adapter runs and obeys the contract."""

from __future__ import annotations

import re
from pathlib import Path

from adapterkit import image_request, text_request

from gapeval.adapters import ADAPTERS, Adapter, check_results, loaded

DOC = Path(__file__).parents[3] / "docs" / "adapters.md"


def example_namespace() -> dict:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    (example,) = [block for block in blocks if "class WordCountAdapter" in block]
    namespace: dict = {}
    exec(compile(example, str(DOC), "exec"), namespace)  # our own documentation, not user input
    return namespace


def test_documented_registry_matches_the_code():
    text = DOC.read_text()
    for name, target in ADAPTERS.items():
        assert f'"{name}": "{target}"' in text


def test_documented_example_adapter_satisfies_the_contract():
    adapter = example_namespace()["WordCountAdapter"](scale=20)
    assert isinstance(adapter, Adapter)
    requests = [
        text_request("q1"),
        image_request("g1", width=10, height=6),
        image_request("g2", history_colour="red", output={"kind": "text"}),
    ]
    with loaded(adapter):
        results = adapter.run_turns(requests)
    check_results(requests, results)
    assert [r.status for r in results] == ["ok", "ok", "unsupported"]
    assert results[0].output.text == "2"  # "Question q1?"
    image = results[1].output.open()
    assert image.size == (10, 6) and image.getpixel((0, 0)) == (40, 40, 40)  # "Draw g1." = 2 words
