"""``gapeval run / export / merge`` from the shell user's side: outputs, exit codes, messages."""

from __future__ import annotations

import pandas as pd
import pytest

from gapeval.cli import main
from gapeval.store import Store


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_dry_run_prints_the_plan_and_calls_nothing(tmp_path, capsys):
    code, out, _ = cli(capsys, "run", "--model", "scripted", "--limit", "3", "--out", str(tmp_path / "r"), "--dry-run")
    assert code == 0
    assert "3 items, 3 dialogues (6 turns)" in out
    assert "answers: 9 planned, 0 already stored, 9 to give" in out
    assert not (tmp_path / "r").exists()


def test_run_resume_and_export_csv_round_trip(tmp_path, capsys):
    folder = tmp_path / "run"
    args = ("run", "--model", "scripted", "--model", "scripted:name=other", "--limit", "3",
            "--out", str(folder), "--no-score", "--quiet")
    code, out, _ = cli(capsys, *args)
    assert code == 0 and "scripted: 9 ok; 0 already stored" in out and "other: 9 ok" in out
    code, out, _ = cli(capsys, *args)
    assert code == 0 and "nothing new; 9 already stored" in out
    target = tmp_path / "long.csv"
    code, out, _ = cli(capsys, "export", str(folder), "-o", str(target), "--include-unscored")
    assert code == 0 and "wrote 18 rows" in out
    table = pd.read_csv(target)
    assert sorted(table["model"].unique()) == ["other", "scripted"]
    assert set(table["direction"]) == {"understanding", "generation"}
    assert table["score"].isna().all()
    with Store(folder, create=False) as store:
        assert len(store.to_frame(include_unscored=True)) == len(table)


def test_export_without_scores_says_how_to_fix_it(tmp_path, capsys):
    folder = tmp_path / "run"
    cli(capsys, "run", "--model", "scripted", "--limit", "1", "--out", str(folder), "--no-score", "--quiet")
    code, _, err = cli(capsys, "export", str(folder), "-o", str(tmp_path / "x.csv"))
    assert code == 2 and "holds no scores yet" in err and err.count("\n") == 1
    code, _, err = cli(capsys, "export", str(folder), "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and "use a .csv or .parquet" in err


def test_merge_of_cli_shards(tmp_path, capsys):
    shards = []
    for index in (1, 2):
        folder = tmp_path / f"s{index}"
        code, _, _ = cli(capsys, "run", "--model", "scripted", "--limit", "4", "--shard", f"{index}/2",
                         "--out", str(folder), "--no-score", "--quiet")
        assert code == 0
        shards.append(str(folder))
    code, out, _ = cli(capsys, "merge", *shards, "-o", str(tmp_path / "all"))
    assert code == 0 and "merged 2 stores" in out
    code, out, _ = cli(capsys, "run", "--model", "scripted", "--limit", "4", "--out", str(tmp_path / "all"),
                       "--dry-run")
    assert "12 already stored, 0 to give" in out


def test_incomplete_runs_exit_3_and_say_to_rerun(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "run"
    toml = tmp_path / "run.toml"
    toml.write_text('limit = 2\nscore = false\n[[models]]\nadapter = "scripted"\ndelay_s = 0.0\n')
    from gapeval.adapters import scripted

    monkeypatch.setattr(scripted, "default_reply", lambda request: scripted.Fail("down"))
    code, _, err = cli(capsys, "run", "--config", str(toml), "--out", str(folder), "--quiet")
    assert code == 3 and "re-run the same command to retry them" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "nope"], "unknown adapter 'nope'; known:"),
        (["--model", "scripted:colour"], "option 'colour' has no value"),
        (["--model", "scripted:colour=red"], "adapter 'scripted' has no option 'colour'"),
        (["--shard", "3/2", "--model", "scripted"], "--shard '3/2': write k/n"),
        ([], "a run needs at least one model"),
        (["--bank", "/no/such/bank", "--model", "scripted"], "/no/such/bank"),
    ],
)
def test_bad_input_gives_one_line_errors(tmp_path, capsys, argv, message):
    code, _, err = cli(capsys, "run", "--out", str(tmp_path / "r"), "--quiet", *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_malformed_toml_configs_are_named(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = \n")
    code, _, err = cli(capsys, "run", "--config", str(bad), "--out", str(tmp_path / "r"))
    assert code == 2 and "is not valid TOML" in err
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('samples = 0\n[[models]]\nadapter = "scripted"\n')
    code, _, err = cli(capsys, "run", "--config", str(wrong), "--out", str(tmp_path / "r"))
    assert code == 2 and "samples" in err and str(wrong) in err
    nameless = tmp_path / "nameless.toml"
    nameless.write_text('[[models]]\nname = "x"\n')
    code, _, err = cli(capsys, "run", "--config", str(nameless), "--out", str(tmp_path / "r"))
    assert code == 2 and "needs adapter" in err


def test_missing_weights_and_unreachable_servers_are_named(tmp_path, capsys):
    code, _, err = cli(capsys, "run", "--model", f"hf-janus:weights={tmp_path / 'nowhere'}", "--limit", "1",
                       "--out", str(tmp_path / "r"), "--no-score", "--quiet")
    assert code == 2 and "nowhere" in err and "does not exist" in err and err.count("\n") == 1
    pytest.importorskip("httpx")
    code, _, err = cli(capsys, "run", "--model", "openai-http:base_url=http://127.0.0.1:9/v1,model=m",
                       "--include", "items", "--limit", "2", "--max-retries", "0",
                       "--out", str(tmp_path / "h"), "--no-score", "--quiet")
    assert code == 3
    assert "openai-http: first error:" in err and "http://127.0.0.1:9/v1" in err


@pytest.mark.parametrize(("spec", "message"), [
    ("nosuch:x=1", "unknown adapter 'nosuch'; known: "),
    ("simulated:bogus=1", "adapter 'simulated' has no option 'bogus'; valid options: "),
    ("simulated:theta_understanding=abc", "theta_understanding='abc' must be a finite number"),
])
def test_dry_run_refuses_what_the_real_run_refuses(tmp_path, capsys, spec, message):
    for extra in (("--dry-run",), ()):
        code, out, err = cli(capsys, "run", "--model", spec, "--limit", "1", "--out", str(tmp_path / "r"), "--quiet",
                             *extra)
        assert (code, out) == (2, "") and message in err
    with Store(tmp_path / "r", readonly=True) as store:  # the real run made the store and stored nothing
        assert not store.keys()


def test_dry_run_on_a_run_folder_checks_the_resume_and_the_model_configuration(tmp_path, capsys):
    folder = str(tmp_path / "r")
    assert main(["run", "--model", "simulated:name=s", "--include", "items", "--limit", "2", "--out", folder,
                 "--no-score", "--quiet"]) == 0
    capsys.readouterr()
    code, _, err = cli(capsys, "run", "--model", "simulated:name=s,theta_understanding=2", "--include", "items",
                       "--limit", "2", "--out", folder, "--dry-run")
    assert code == 2 and "model 's' was answered with another configuration" in err and "--allow-changed-config" in err
    code, _, err = cli(capsys, "run", "--model", "simulated:name=s", "--include", "items", "--limit", "2",
                       "--out", folder, "--dry-run", "--seed", "5")
    assert code == 2 and "seed: was 0, now 5" in err
    code, out, _ = cli(capsys, "run", "--model", "simulated:name=s,theta_understanding=2", "--include", "items",
                       "--limit", "2", "--out", folder, "--dry-run", "--allow-changed-config")
    assert code == 0 and "answers: 2 planned, 2 already stored, 0 to give" in out
