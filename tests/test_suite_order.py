"""The suite's own scheduling: the modules moved to the front for ``make test``'s two workers exist, come
first, and are handed to the workers in that order."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def longest_modules(config) -> tuple[str, ...]:
    """``LONGEST_MODULES`` of the suite's root conftest (as pytest loaded it: no second import)."""
    root_conftest = ROOT / "tests" / "conftest.py"
    plugin = next(p for p in config.pluginmanager.get_plugins() if getattr(p, "__file__", None) == str(root_conftest))
    return plugin.LONGEST_MODULES


def test_every_module_scheduled_first_exists(pytestconfig):
    missing = [module for module in longest_modules(pytestconfig) if not (ROOT / module).is_file()]
    assert not missing, f"tests/conftest.py LONGEST_MODULES names modules that are gone: {missing}"


def test_the_first_tests_collected_are_those_of_the_longest_modules(request):
    first = {item.nodeid.split("::", 1)[0] for item in request.session.items[:1]}
    selected = {item.nodeid.split("::", 1)[0] for item in request.session.items}
    expected = next((module for module in longest_modules(request.config) if module in selected), None)
    assert expected is None or first == {expected}


def test_make_test_keeps_the_collection_order_across_workers():
    # pytest-xdist's loadfile scheduling hands out the modules with the most tests first unless told not to
    # (its --loadscope-reorder is on by default): the demo module, with few tests, then ran last (a CI run of
    # the eleventh session started it 39 minutes in)
    recipe = (ROOT / "Makefile").read_text()
    command = next(line for line in recipe.splitlines() if "-m pytest" in line and "--dist loadfile" in line)
    assert "--no-loadscope-reorder" in command, command
