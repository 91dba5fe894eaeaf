"""Adapters: stateless turn functions that talk to one model each.

This package owns the model clients. The protocol lives in :mod:`gapeval.adapters.base`, the one
catalogue of adapters in :mod:`gapeval.adapters.registry` (a literal dict of lazy loaders, which also
lists the respondents of :mod:`gapeval.respondents`), and the scripted mock used by tests in
:mod:`gapeval.adapters.scripted`. Adapter modules import their heavy dependencies (torch,
transformers, diffusers, httpx) only when an adapter is created or loaded, through
:func:`gapeval.extras.require`; they import nothing of the bank, the scorers or the protocols.

Examples
--------
>>> from gapeval.adapters import create_adapter, loaded
>>> with loaded(create_adapter("scripted", {"script": {"q1": "A"}})) as adapter:
...     adapter.capabilities().image_out
True
"""

from __future__ import annotations

from gapeval.adapters.base import (
    Adapter,
    AdapterContractError,
    AdapterOptionError,
    AsyncAdapter,
    Capabilities,
    TurnAdapter,
    check_results,
    library_versions,
    loaded,
    unsupported_reason,
)
from gapeval.adapters.registry import (
    ADAPTERS,
    UnknownAdapterError,
    create_adapter,
    load_factory,
)

__all__ = [
    "ADAPTERS",
    "Adapter",
    "AdapterContractError",
    "AdapterOptionError",
    "AsyncAdapter",
    "Capabilities",
    "TurnAdapter",
    "UnknownAdapterError",
    "check_results",
    "create_adapter",
    "library_versions",
    "load_factory",
    "loaded",
    "unsupported_reason",
]
