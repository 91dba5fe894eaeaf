"""The import arrows of irt and gapeval point one way: a static check of every module's imports.

Every ``import``, ``from ... import`` (relative ones resolved, ones inside functions and
``TYPE_CHECKING`` blocks included) and every ``importlib.import_module("...")`` / ``__import__("...")``
with a literal name is read with :mod:`ast`. ``irt`` never imports ``gapeval``. Within ``gapeval``
each component (a top-level module or package, e.g. ``gapeval.bank``) may import only the
components :data:`ALLOWED` lists. Strings that merely name a module (the adapter registry's
``"module:factory"`` entries, the lazy maps of package ``__init__`` files, the command list of the
CLI) are data, not imports: they are resolved at run time, on request.

The layers, bottom-up (each may use what is below it, as the table says):

1. base: errors, records, the long table's vocabulary (``responses``), spec parsing (``spec_text``,
   ``model_spec``), optional dependencies (``extras``), reading the user's files (``files``);
2. ``scenes`` (draw and read the bank's pictures) and ``protocols`` (run-time: specs, steps, prompts);
3. ``bank`` (items and dialogues);
4. ``adapters`` (model clients) and ``store`` (persistence); ``calls`` (calling adapters: batching,
   retries, concurrency — the one retry policy of the runner and the judges);
5. ``runner`` (asks adapters, writes the store) and ``scoring`` (reads the store, writes scores);
   ``results_import`` (an anchor's own results as the long table; uses the bank importers' readers
   and the scorers' compat rules);
6. ``respondents`` (programs answering without a model; the simulated one uses the verifiers to
   make its wrong pictures really wrong, so it sits above scoring; the registry only names it);
7. analysis: ``estimates`` (neutral statistical records) and ``sampling`` (the samplers' defaults),
   ``gap``, ``decay``, ``calibration``, ``tables``, ``figures``, ``protocol_analysis``, ``report``;
   then ``adaptive`` (drives the runner with a chooser and scores answers inline; builds the chooser
   from ``calibration``, lazily);
8. entry points: ``cli``, ``demo``, ``demo_irt``.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BASE = {
    "gapeval", "gapeval.errors", "gapeval.records", "gapeval.responses", "gapeval.spec_text", "gapeval.model_spec",
    "gapeval.extras", "gapeval.files", "gapeval.progress",
}  # fmt: skip
#: What every analysis component may use: the base, the neutral statistical records and the samplers' defaults.
ANALYSIS_BASE = BASE | {"gapeval.estimates", "gapeval.sampling"}

#: component -> the components it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    # 1. base
    "gapeval": set(),
    "gapeval.errors": set(),
    "gapeval.records": {"gapeval.errors", "gapeval.responses"},
    "gapeval.spec_text": set(),
    "gapeval.extras": {"gapeval.errors"},
    "gapeval.files": {"gapeval.errors"},
    "gapeval.progress": set(),  # the one progress display (fits report to it through irt.inference.ticks)
    "gapeval.responses": {"gapeval.errors"},
    "gapeval.model_spec": {"gapeval.errors", "gapeval.records", "gapeval.spec_text"},
    # 2. pictures; protocols at run time
    "gapeval.scenes": BASE,
    "gapeval.protocols": BASE,
    # 3. items
    "gapeval.bank": BASE | {"gapeval.scenes"},
    # 4. model clients; persistence
    "gapeval.adapters": BASE,
    "gapeval.store": BASE,
    # 4b. calling adapters: the one retry policy, used by the runner and by judges
    "gapeval.calls": BASE | {"gapeval.adapters"},
    # 5. orchestration; judgement
    "gapeval.runner": BASE | {"gapeval.protocols", "gapeval.bank", "gapeval.adapters", "gapeval.store", "gapeval.calls"},
    "gapeval.scoring": BASE | {
        "gapeval.scenes", "gapeval.protocols", "gapeval.bank", "gapeval.adapters", "gapeval.store", "gapeval.calls",
    },
    # 5b. the anchors' own results read into the long table (their files are read as the bank importers read them)
    "gapeval.results_import": BASE | {"gapeval.bank", "gapeval.scoring"},
    # 6. respondents without a model
    "gapeval.respondents": BASE | {
        "gapeval.scenes", "gapeval.protocols", "gapeval.bank", "gapeval.adapters", "gapeval.scoring",
    },
    # 7. analysis
    "gapeval.estimates": BASE,
    "gapeval.sampling": BASE,
    "gapeval.gap": ANALYSIS_BASE,
    "gapeval.decay": ANALYSIS_BASE | {"gapeval.gap"},
    "gapeval.calibration": ANALYSIS_BASE | {"gapeval.gap"},  # calibrated bank: fixed-item scoring, adaptive choice
    "gapeval.tables": ANALYSIS_BASE,
    "gapeval.figures": ANALYSIS_BASE | {"gapeval.store"},  # atomic file writes (store.atomic)
    "gapeval.protocol_analysis": ANALYSIS_BASE | {
        "gapeval.protocols", "gapeval.store", "gapeval.gap", "gapeval.decay", "gapeval.tables", "gapeval.figures",
    },
    "gapeval.report": ANALYSIS_BASE | {  # the bank: a run's chance levels (report.sources)
        "gapeval.bank", "gapeval.store", "gapeval.gap", "gapeval.decay", "gapeval.tables", "gapeval.figures",
        "gapeval.protocol_analysis",
    },
    # 7b. adaptive testing: drives the runner, scores inline; its chooser comes from the calibration (lazily)
    "gapeval.adaptive": BASE | {
        "gapeval.protocols", "gapeval.bank", "gapeval.adapters", "gapeval.store", "gapeval.calls", "gapeval.runner",
        "gapeval.scoring", "gapeval.calibration",
    },
}  # fmt: skip
#: 8. entry points: anything below them (the demo also uses the CLI's shared sampler flags).
_BELOW = set(ALLOWED)
ALLOWED["gapeval.cli"] = _BELOW
ALLOWED["gapeval.demo_irt"] = _BELOW
ALLOWED["gapeval.demo"] = _BELOW | {"gapeval.cli"}

#: (importer, imported) edges the table does not allow yet but the code still has, each with why.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}

#: What adapters (model clients) must never import, whatever the table says.
ADAPTERS_NEVER = ("gapeval.bank", "gapeval.scoring", "gapeval.protocols", "gapeval.respondents")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _component(module: str) -> str:
    """``gapeval.bank.io`` -> ``gapeval.bank``; ``gapeval`` -> ``gapeval``; ``irt.fit`` -> ``irt``."""
    parts = module.split(".")
    return parts[0] if parts[0] != "gapeval" else ".".join(parts[:2])


def _literal_import(node: ast.Call) -> str | None:
    """The module named by ``importlib.import_module("x")`` / ``import_module("x")`` / ``__import__("x")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name in ("import_module", "__import__") and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def imports_in(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str, str]]:
    """``(line, imported module, source text)`` of every import in ``source`` (of ``module``), however nested."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ast.get_source_segment(source, node) or alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            text = ast.get_source_segment(source, node) or base
            for alias in node.names:
                # ``from gapeval import bank`` imports the package gapeval.bank
                candidate = Path(*f"{base}.{alias.name}".split("."))
                is_module = (ROOT / candidate).is_dir() or (ROOT / candidate.with_suffix(".py")).exists()
                yield node.lineno, f"{base}.{alias.name}" if is_module else base, text
        elif isinstance(node, ast.Call) and (target := _literal_import(node)) is not None:
            yield node.lineno, target, ast.get_source_segment(source, node) or target


def imports(path: Path) -> Iterator[tuple[int, str, str]]:
    """Every import of the module at ``path`` (see :func:`imports_in`)."""
    source = path.read_text(encoding="utf-8")
    return imports_in(source, _module_name(path), is_package=path.name == "__init__.py")


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_the_table_has_no_cycle():
    """The allowed edges form a DAG, so the arrows point one way."""
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", f"the layering table has a cycle: {' -> '.join([*trail, node])}"
        state[node] = "open"
        for target in sorted(ALLOWED.get(node, set()) - {node}):
            visit(target, [*trail, node])
        state[node] = "done"

    for component in sorted(ALLOWED):
        visit(component, [])


def test_irt_never_imports_gapeval():
    offending = [
        f"{_where(path, line)}: {_module_name(path)} imports {target!r} ({text})"
        for path in _modules("irt")
        for line, target, text in imports(path)
        if target.split(".")[0] == "gapeval"
    ]
    assert not offending, "irt must never import gapeval:\n" + "\n".join(offending)


@functools.cache
def _gapeval_edges() -> tuple[tuple[Path, int, str, str, str, str], ...]:
    """``(path, line, importer module, imported module, source text, importer component)`` of gapeval."""
    return tuple(
        (path, line, _module_name(path), target, text, _component(_module_name(path)))
        for path in _modules("gapeval")
        for line, target, text in imports(path)
        if target.split(".")[0] == "gapeval"
    )


def test_gapeval_imports_follow_the_layers():
    offending = []
    for path, line, module, target, text, component in _gapeval_edges():
        imported = _component(target)
        if imported == component or (component, imported) in KNOWN_EXCEPTIONS:
            continue
        if component not in ALLOWED:
            offending.append(f"{_where(path, line)}: {module} belongs to {component}, which the layering "
                             "table does not list; add it to ALLOWED in tests/test_layering.py")
        elif imported not in ALLOWED[component]:
            offending.append(f"{_where(path, line)}: {module} imports {target} ({text!r}); {component} may "
                             f"import only {', '.join(sorted(ALLOWED[component])) or 'nothing of gapeval'}")
    assert not offending, "imports against the layers:\n" + "\n".join(offending)


def test_adapters_import_no_bank_scoring_protocols_or_respondents():
    offending = [
        f"{_where(path, line)}: {module} imports {target} ({text!r})"
        for path, line, module, target, text, component in _gapeval_edges()
        if component == "gapeval.adapters" and target.startswith(ADAPTERS_NEVER)
    ]
    assert not offending, "model clients must not import the bank, scorers, protocols or respondents:\n" + "\n".join(
        offending
    )


@pytest.mark.parametrize("edge", sorted(KNOWN_EXCEPTIONS))
def test_known_exceptions_are_still_needed(edge):
    importer, imported = edge
    used = [
        _where(path, line)
        for path, line, _, target, _, component in _gapeval_edges()
        if component == importer and _component(target) == imported
    ]
    assert used, f"{importer} no longer imports {imported}: delete the exception from KNOWN_EXCEPTIONS"


def test_the_checker_sees_lazy_and_relative_imports():
    """A lazy ``import gapeval`` inside a function, an import_module literal and a relative import are found."""
    source = (
        "from . import fit\n"
        "def f():\n    import gapeval.bank\n\n"
        "def g():\n    return importlib.import_module('gapeval.store')\n"
    )
    found = sorted(target for _, target, _ in imports_in(source, "irt.probe"))
    assert found == ["gapeval.bank", "gapeval.store", "irt.fit"]
