"""Every example in a docstring of irt and gapeval runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gapeval
import irt


def _modules(package) -> list[str]:
    names = [package.__name__]
    names += [info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")]
    return sorted(names)


MODULES = _modules(irt) + _modules(gapeval)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert outcome.failed == 0, f"{name}: {outcome.failed} docstring example(s) failed"
