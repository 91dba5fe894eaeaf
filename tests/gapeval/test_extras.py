"""Optional dependencies: every extra named in an error exists, and ``require`` names it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import gapeval.extras as extras_module
from gapeval.extras import MissingExtraError, require


def test_every_extra_named_in_errors_exists_in_pyproject():
    pyproject = Path(extras_module.__file__).parents[1] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    assert set(extras_module.EXTRAS.values()) <= set(extras)
    for module, extra in extras_module.EXTRAS.items():
        assert any(spec.startswith(module) for spec in extras[extra]), (module, extra)


def test_require_names_the_extra_for_known_dependencies(monkeypatch):
    monkeypatch.setitem(extras_module.EXTRAS, "httpx_missing_for_test", "http")
    with pytest.raises(MissingExtraError, match=r"install gapeval\[http\]$") as caught:
        require("httpx_missing_for_test.client", needed_by="adapter 'openai'")
    assert isinstance(caught.value, ImportError) and isinstance(caught.value, ValueError)
