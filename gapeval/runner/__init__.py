"""The runner: ask a bank's items and dialogues of models, resumably, into a store.

Examples
--------
>>> import tempfile
>>> from gapeval.adapters.scripted import ScriptedAdapter
>>> from gapeval.model_spec import ModelSpec
>>> config = RunConfig(models=(ModelSpec(name="mock", adapter="scripted"),), limit=2, score=False)
>>> report = run(config, tempfile.mkdtemp(), adapters={"mock": ScriptedAdapter()})
>>> report.models[0].statuses, report.complete
({'ok': 6}, True)
"""

from gapeval.runner.config import (
    AdaptiveSettings,
    ConfigError,
    RunConfig,
    Shard,
    load_config,
    parse_shard,
)
from gapeval.runner.engine import ModelReport, RunReport, run
from gapeval.runner.plan import Plan, build_plan, in_shard
from gapeval.progress import Progress
from gapeval.runner.requests import RequestBuilder

__all__ = [
    "AdaptiveSettings",
    "ConfigError",
    "ModelReport",
    "Plan",
    "Progress",
    "RequestBuilder",
    "RunConfig",
    "RunReport",
    "Shard",
    "build_plan",
    "in_shard",
    "load_config",
    "parse_shard",
    "run",
]
