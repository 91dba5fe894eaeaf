"""``gapeval run --adaptive``: flags, the calibrated chooser's factory, the manifest, the errors.

The calibration package (``gapeval.calibration``) is replaced by a stand-in module: its chooser is
the random baseline that stops after a number of scored answers, so the command line is tested on
its own; with the package missing the command says so.
"""

from __future__ import annotations

import hashlib
import sys
import types

import pytest

from gapeval.adaptive import RandomChooser, calls_per_model
from gapeval.bank import load_bank
from gapeval.cli import main
from gapeval.store import Store


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def calibration(tmp_path, monkeypatch):
    """A calibration file and a stand-in gapeval.calibration recording how it was called."""
    path = tmp_path / "calibration.json"
    path.write_text('{"stand-in": true}\n', encoding="utf-8")
    calls: dict[str, object] = {}

    class GapVarianceChooser:
        def __init__(self, calibration, *, target_width, units=None):
            calls.update(calibration=calibration.source, target_width=target_width)
            self.inner = RandomChooser([item.id for item in load_bank("builtin").items], seed=0)

        def choose(self, answered, *, batch, budget_left):
            return () if len(answered) >= 6 else self.inner.choose(answered, batch=batch, budget_left=budget_left)

    def load_calibration(file):
        return types.SimpleNamespace(source=("loaded", str(file)), item_ids=(), require_bank=lambda bank_hash: None)

    module = types.SimpleNamespace(load_calibration=load_calibration,
                                   GapVarianceChooser=GapVarianceChooser)  # fmt: skip
    monkeypatch.setitem(sys.modules, "gapeval.calibration", module)
    return path, calls


RUN = ("run", "--model", "simulated:theta_understanding=1", "--include", "items", "--no-score", "--quiet")


def test_an_adaptive_run_from_the_command_line_records_its_calibration(tmp_path, capsys, calibration):
    path, calls = calibration
    folder = tmp_path / "run"
    adaptive = ("--adaptive", "--calibration", str(path), "--target-width", "0.5", "--batch", "4", "--max-calls", "40")
    code, out, err = cli(capsys, *RUN, *adaptive, "--out", str(folder))
    assert code == 0, err
    assert "stopped: the chooser stopped (target reached or nothing useful left)" in out
    assert calls == {"calibration": ("loaded", str(path)), "target_width": 0.5}
    assert calls_per_model(folder) == {"simulated": 8}  # two steps of 4, then 8 >= 6 answers: stop
    with Store(folder, readonly=True) as store:
        adaptive_settings = store.manifests()[-1]["config"]["adaptive"]
        assert [len(choice.units) for choice in store.choices()] == [4, 4]
    assert adaptive_settings == {
        "chooser": "GapVarianceChooser", "calibration": str(path),
        "calibration_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "target_width": 0.5, "batch": 4, "max_calls": 40,
    }  # fmt: skip
    code, out, _ = cli(capsys, *RUN, *adaptive, "--out", str(folder), "--dry-run")
    assert code == 0 and "adaptive: GapVarianceChooser from" in out and "at most 40 calls per model" in out
    path.write_text('{"stand-in": "changed"}\n', encoding="utf-8")
    code, _, err = cli(capsys, *RUN, *adaptive, "--out", str(folder))
    assert code == 2 and "adaptive: was" in err and "calibration_sha256" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--adaptive",), "--adaptive needs --calibration FILE and --target-width W"),
        (("--max-calls", "10"), "belong to --adaptive; add --adaptive"),
        (("--adaptive", "--calibration", "CAL", "--target-width", "-1"), "--target-width: Input should be greater than 0"),
        (("--adaptive", "--calibration", "CAL", "--target-width", "1", "--batch", "0"), "--batch: Input should be"),
        (("--adaptive", "--calibration", "CAL", "--target-width", "1", "--samples", "2"),
         "adaptive testing asks each chosen unit once"),
        (("--adaptive", "--calibration", "missing.json", "--target-width", "1"), "cannot read the calibration file"),
    ],
)
def test_bad_adaptive_flags_give_one_line_errors(tmp_path, capsys, calibration, flags, message):
    path, _ = calibration
    flags = tuple(str(path) if flag == "CAL" else str(tmp_path / flag) if flag == "missing.json" else flag
                  for flag in flags)  # fmt: skip
    code, _, err = cli(capsys, *RUN, *flags, "--out", str(tmp_path / "run"))
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_without_the_calibration_package_the_command_says_what_is_missing(tmp_path, capsys, monkeypatch):
    path = tmp_path / "calibration.json"
    path.write_text("{}", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "gapeval.calibration", None)  # as if it were not installed
    code, _, err = cli(capsys, *RUN, "--adaptive", "--calibration", str(path), "--target-width", "0.5",
                       "--out", str(tmp_path / "run"))  # fmt: skip
    assert code == 2 and "needs gapeval.calibration (load_calibration, GapVarianceChooser)" in err
    assert not (tmp_path / "run").exists()


def test_a_toml_config_with_an_adaptive_table_is_refused_with_the_flags_to_use(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('[adaptive]\ntarget_width = 0.5\n[[models]]\nadapter = "simulated"\n', encoding="utf-8")
    code, _, err = cli(capsys, "run", "--config", str(config), "--out", str(tmp_path / "run"))
    assert code == 2 and "adaptive testing is set with flags, not in the file (--adaptive" in err
