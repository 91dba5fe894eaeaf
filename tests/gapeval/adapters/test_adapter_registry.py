"""The adapter registry: one literal dict of lazy loaders, one-line errors."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import gapeval.adapters.registry as registry
import gapeval.extras as extras
from gapeval.adapters import (
    ADAPTERS,
    AdapterOptionError,
    UnknownAdapterError,
    create_adapter,
    load_factory,
)
from gapeval.adapters.scripted import ScriptedAdapter
from gapeval.extras import MissingExtraError


def test_registry_is_one_literal_dict_of_module_factory_strings():
    source = Path(registry.__file__).read_text()
    tree = ast.parse(source)
    literal = [
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "ADAPTERS"
    ]
    assert len(literal) == 1 and isinstance(literal[0], ast.Dict)
    assert ast.literal_eval(literal[0]) == ADAPTERS
    for name, target in ADAPTERS.items():
        module, _, factory = target.partition(":")
        assert module.startswith(("gapeval.adapters.", "gapeval.respondents.")) and factory, name


def test_every_registered_adapter_resolves_or_names_its_extra():
    for name in ADAPTERS:
        try:
            assert callable(load_factory(name))
        except MissingExtraError as error:
            assert "install gapeval[" in str(error)


def test_unknown_adapter_lists_known_ones():
    with pytest.raises(UnknownAdapterError, match=r"^unknown adapter 'janis'; known: ") as caught:
        create_adapter("janis", {})
    assert str(caught.value).split("known: ")[1] == ", ".join(sorted(ADAPTERS))
    assert {"procedural", "simulated", "hf-janus", "openai-http", "diffusers"} <= set(ADAPTERS)


def test_options_are_checked_against_the_factory():
    adapter = create_adapter("scripted", {"script": {"q1": "A"}, "delay_s": 0.0})
    assert isinstance(adapter, ScriptedAdapter) and adapter.script == {"q1": "A"}
    with pytest.raises(AdapterOptionError, match=r"adapter 'scripted' has no options 'colour', 'weights'; valid options: capabilities, default, delay_s, name, script"):
        create_adapter("scripted", {"colour": 1, "weights": "/w"})


def test_bad_option_values_are_one_line_errors():
    with pytest.raises(
        AdapterOptionError,
        match=r"^adapter 'scripted' rejected its options: could not convert string to float: 'fast'$",
    ):
        create_adapter("scripted", {"delay_s": "fast"})
    with pytest.raises(AdapterOptionError, match=r"^adapter 'scripted' rejected its options: max_batch: Input should be greater than or "
        r"equal to 1$"):
        create_adapter("scripted", {"capabilities": {"max_batch": 0}})


def test_required_options_are_reported(monkeypatch, tmp_path):
    module = tmp_path / "needs_weights_adapter.py"
    module.write_text("def make(*, weights):\n    return weights\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(ADAPTERS, "needy", "needs_weights_adapter:make")
    with pytest.raises(AdapterOptionError, match=r"^adapter 'needy' needs option 'weights'; give it in the model spec$"):
        create_adapter("needy", {})
    assert create_adapter("needy", {"weights": "/w"}) == "/w"


def test_missing_dependency_names_the_extra(monkeypatch, tmp_path):
    module = tmp_path / "fake_hf_adapter.py"
    module.write_text("import transformers_missing_for_test\n\ndef make():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(ADAPTERS, "fake-hf", "fake_hf_adapter:make")
    monkeypatch.setitem(extras.EXTRAS, "transformers_missing_for_test", "hf")
    with pytest.raises(
        MissingExtraError,
        match=r"^adapter 'fake-hf' needs 'transformers_missing_for_test', which is not installed; "
        r"install gapeval\[hf\]$",
    ):
        create_adapter("fake-hf", {})


def test_importing_adapters_records_and_store_pulls_in_no_heavy_library():
    code = (
        "import sys, gapeval.adapters, gapeval.adapters.scripted, gapeval.records, gapeval.store\n"
        "heavy = [m for m in ('torch', 'transformers', 'diffusers', 'httpx', 'pandas', 'PIL')"
        " if m in sys.modules]\n"
        "print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
