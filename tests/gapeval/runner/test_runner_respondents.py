"""A respondent is its configuration: a resume under the same name with another one stops, or is recorded."""

from __future__ import annotations

import pytest

from gapeval.bank import load_bank
from gapeval.cli import main
from gapeval.model_spec import parse_model_spec
from gapeval.runner import RunConfig, run
from gapeval.scoring.run_scoring import score_run
from gapeval.store import Store
from gapeval.store.respondents import RespondentChangedError, RespondentMixError

BANK = load_bank("builtin")
LOW = "simulated:theta_understanding=-3,theta_generation=-3,name=sim"
HIGH = "simulated:theta_understanding=3,theta_generation=3,name=sim"


def config(spec: str, *, limit: int, **changes) -> RunConfig:
    return RunConfig(models=(parse_model_spec(spec),), include="items", limit=limit, **changes)


def test_a_resume_with_changed_options_stops_naming_the_change(tmp_path):
    run(config(LOW, limit=6), tmp_path, bank=BANK)
    with Store(tmp_path, create=False) as store:
        stored = len(store)
    with pytest.raises(RespondentChangedError) as caught:
        run(config(HIGH, limit=12), tmp_path, bank=BANK)
    message = str(caught.value)
    assert "model 'sim'" in message
    assert "options.theta_understanding: was -3, now 3" in message
    assert "options.theta_generation: was -3, now 3" in message
    assert "new model name" in message and "--allow-changed-config" in message
    with Store(tmp_path, create=False) as store:
        assert len(store) == stored  # nothing answered under the changed configuration
        assert len(store.respondents()) == 1


def test_operational_options_are_not_a_new_configuration(tmp_path):
    run(config(LOW, limit=4), tmp_path, bank=BANK)
    report = run(config(LOW.replace("name=sim", "name=sim,max_batch=3"), limit=6), tmp_path, bank=BANK)
    assert report.complete and report.models[0].skipped == 4  # the 4 items asked before


def test_the_override_records_both_fingerprints_and_exports_ask_which_to_use(tmp_path):
    run(config(LOW, limit=40), tmp_path, bank=BANK)
    report = run(config(HIGH, limit=80, allow_changed_config=True), tmp_path, bank=BANK)
    assert report.complete
    score_run(tmp_path)
    with Store(tmp_path, create=False) as store:
        (low, high) = store.respondents()
        assert (low["model"], high["model"]) == ("sim", "sim")
        assert high["changed_from"] == low["digest"] != high["digest"]
        assert low["fingerprint"]["options"]["theta_understanding"] == -3
        assert high["fingerprint"]["options"]["theta_understanding"] == 3
        (change,) = store.manifests()[-1]["changed_config"]
        assert change["model"] == "sim"
        assert change["before"] == low["fingerprint"] and change["after"] == high["fingerprint"]
        assert "options.theta_understanding: was -3, now 3" in change["differences"]
        with pytest.raises(RespondentMixError, match=r"model 'sim' was answered under 2 configurations"):
            store.to_frame()
        first = store.to_frame(fingerprints={"sim": low["digest"][:10]})
        second = store.to_frame(fingerprints={"sim": high["digest"]})
        with pytest.raises(RespondentMixError, match="matches 0 of its fingerprints"):
            store.to_frame(fingerprints={"sim": "ffffffffffff"})
    assert len(first) == 40 and len(second) == 40  # items 1-40 first, 41-80 after the change
    assert first["score"].mean() < 0.35 < 0.65 < second["score"].mean()


def test_the_command_line_refuses_with_exit_2_and_the_override_flag_works(tmp_path, capsys):
    folder = str(tmp_path / "run")
    common = ("--include", "items", "--out", folder, "--quiet", "--no-score")
    assert main(["run", "--model", LOW, "--limit", "3", *common]) == 0
    capsys.readouterr()
    assert main(["run", "--model", HIGH, "--limit", "5", *common]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "theta_understanding: was -3, now 3" in err
    assert main(["run", "--model", HIGH, "--limit", "5", "--allow-changed-config", *common]) == 0
    capsys.readouterr()
    assert main(["export", folder, "-o", str(tmp_path / "x.csv"), "--include-unscored"]) == 2
    assert "--fingerprint sim=DIGEST" in capsys.readouterr().err
    with Store(folder, create=False) as store:
        digest = store.respondents()[-1]["digest"]
    assert main(["export", folder, "-o", str(tmp_path / "x.csv"), "--include-unscored",
                 "--fingerprint", f"sim={digest[:8]}"]) == 0  # fmt: skip
    assert "wrote 2 rows" in capsys.readouterr().out


def test_a_changed_server_model_or_url_is_caught_before_anything_is_loaded(tmp_path):
    http = "openai-http:base_url=http://127.0.0.1:9/v1,model=qwen-7b,name=served,timeout_s=2"
    run(config(http, limit=1, score=False, max_retries=0), tmp_path, bank=BANK)  # port 9: refused, logged
    for changed in (http.replace("qwen-7b", "qwen-72b"), http.replace("127.0.0.1:9", "127.0.0.1:10")):
        with pytest.raises(RespondentChangedError, match="options.(model|base_url): was"):
            run(config(changed, limit=1, score=False), tmp_path, bank=BANK)
    report = run(config(http.replace("timeout_s=2", "timeout_s=3"), limit=1, score=False, max_retries=0),
                 tmp_path, bank=BANK)  # fmt: skip
    assert report.models[0].name == "served"  # a longer time-out is the same respondent
    with Store(tmp_path, create=False) as store:
        assert [r["model"] for r in store.respondents()] == ["served"]
