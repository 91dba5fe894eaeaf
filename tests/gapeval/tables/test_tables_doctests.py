"""The examples in the docstrings of gapeval.tables run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import warnings

import pytest

import gapeval.tables as package

MODULES = [package.__name__] + [
    f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert outcome.failed == 0, f"{name}: {outcome.failed} doctest failure(s)"
