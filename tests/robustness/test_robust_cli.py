"""Every ``gapeval`` command turns bad input into one line, ``gapeval CMD: error: ...``, and exit status 2.

The documented statuses (``gapeval.cli.EXIT_CODES``, ``docs/runner.md``): 2 for bad input. Each case
asserts the status, that the error is one line naming the file, line, option or value, and that no
traceback was printed. Nothing is fitted; one tiny run (4 answers of the simulated respondent) is
shared by the cases that need a run folder.
"""

from __future__ import annotations

import re

import pytest

from gapeval.cli import main

FILES = {
    "latin.csv": b"model,item,direction,score\nm1,q1,understanding,1\nm\xe9,q2,generation,0\n",
    "ragged.csv": b"a,b\n1,2\n3,4,5\n",
    "empty.csv": b"",
    "ab.csv": b"a,b\n1,2\n2,1\n",
    "nocols.csv": b"who,what\nm1,q1\n",
    "notes.txt": b"hello\n",
    "bad.toml": b"seed = \n",
    "latin.toml": b'bank = "\xe9"\n',
    "fields.toml": b"samples = 0\n[[models]]\nadapter = \"simulated\"\n",
    "unknown.toml": b"colour = 3\n[[models]]\nadapter = \"simulated\"\n",
    "deep/bank.jsonl": ("[" * 100_000 + "]" * 100_000 + "\n").encode(),
    "nan/bank.jsonl": b'{"record": "item", "id": "n1"\n',
}


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    root = tmp_path_factory.mktemp("robust-cli")
    for name, content in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    (root / "afolder.csv").mkdir()
    (root / "emptydir").mkdir()
    code = main(["run", "--model", "simulated:name=s", "--include", "items", "--limit", "4", "--out",
                 str(root / "run"), "--no-score", "--quiet"])  # fmt: skip
    assert code == 0
    return root


CASES = [
    # run (and its dry run, which checks what the run checks)
    ("run --model nosuch --out {d}/r1 --dry-run", "run", "unknown adapter 'nosuch'"),
    ("run --model simulated:bogus=1 --out {d}/r1 --dry-run", "run", "adapter 'simulated' has no option 'bogus'"),
    ("run --model simulated:theta_understanding=abc --out {d}/r1 --dry-run", "run",
     "theta_understanding='abc' must be a finite number"),
    ("run --model simulated:a=1,a=2 --out {d}/r1 --dry-run", "run", "option 'a' is given twice"),
    ("run --model simulated:x --out {d}/r1 --dry-run", "run", "option 'x' has no value"),
    ("run --model simulated --protocol magic --out {d}/r1 --dry-run", "run", "unknown kind 'magic'"),
    ("run --model simulated --out {d}/r1 --samples 0 --dry-run", "run", "error: --samples 0: Input should be greater"),
    ("run --model simulated --out {d}/r1 --limit 0 --dry-run", "run", "error: --limit 0: Input should be greater"),
    ("run --model simulated --out {d}/r1 --shard 5/2 --dry-run", "run", "--shard '5/2': write k/n"),
    ("run --model simulated --out {d}/r1 --bank {d}/nowhere --dry-run", "run", "nowhere does not exist"),
    ("run --model simulated --out {d}/r1 --bank {d}/deep --dry-run", "run", "bank.jsonl:1: "),
    ("run --model simulated --out {d}/r1 --max-wait -1 --dry-run", "run", "error: --max-wait -1.0: Input should be "
     "greater than 0"),
    ("run --out {d}/r1 --dry-run", "run", "a run needs at least one model"),
    ("run --model simulated --out {d}/notes.txt --dry-run", "run", "run folder '.*notes.txt' is an existing file"),
    ("run --model simulated --out {d}/notes.txt --limit 1", "run", "'.*notes.txt' is a file; a store is a folder"),
    ("run --config {d}/missing.toml --out {d}/r1 --dry-run", "run", "config file '.*missing.toml' does not exist"),
    ("run --config {d}/bad.toml --out {d}/r1 --dry-run", "run", "'.*bad.toml' is not valid TOML: .*line 1"),
    ("run --config {d}/latin.toml --out {d}/r1 --dry-run", "run", "'.*latin.toml' is not UTF-8 text: byte 0xe9 at "
     "line 1, column 9"),
    ("run --config {d}/fields.toml --out {d}/r1 --dry-run", "run", "fields.toml': samples: Input should be greater"),
    ("run --config {d}/unknown.toml --out {d}/r1 --dry-run", "run", "unknown.toml': colour"),
    ("run --model simulated:name=s,theta_understanding=2 --include items --limit 4 --out {d}/run --dry-run", "run",
     "model 's' was answered with another configuration"),
    ("run --model simulated:name=s --include items --limit 4 --seed 9 --out {d}/run --dry-run", "run",
     "seed: was 0, now 9"),
    # export, verify, merge, score
    ("export {d}/nowhere -o {d}/x.csv", "export", "no gapeval store in '.*nowhere'"),
    ("export {d}/run -o {d}/x.txt", "export", "use a .csv or .parquet file name"),
    ("export {d}/run -o {d}/x.csv", "export", "holds no scores yet; .*\\(gapeval export --include-unscored; "),
    ("export {d}/run -o {d}/afolder.csv", "export", "export file '.*afolder.csv' is a folder"),
    ("export {d}/run -o {d}/notes.txt/x.csv", "export", "'.*notes.txt' is a file, not a folder"),
    ("export {d}/run -o {d}/x.csv --include-unscored --fingerprint s=zzz", "export", "fingerprint 'zzz' of model 's' matches 0"),
    ("verify {d}/emptydir", "verify", "no gapeval store in '.*emptydir'"),
    ("merge -o {d}/m {d}/emptydir", "merge", "'.*emptydir' holds no gapeval store"),
    ("merge -o {d}/notes.txt {d}/run", "merge", "'.*notes.txt' is a file; a store is a folder"),
    ("score {d}/nowhere", "score", "no gapeval store in '.*nowhere'"),
    # fit and report
    ("fit {d}/nowhere.csv", "fit", "'.*nowhere.csv' does not exist"),
    ("fit {d}/notes.txt", "fit", "cannot read '.*notes.txt': give a run folder or a .csv/.parquet long table"),
    ("fit {d}/latin.csv", "fit", "long table '.*latin.csv' is not UTF-8 text: byte 0xe9 at line 3, column 2"),
    ("fit {d}/ragged.csv", "fit", "'.*ragged.csv' is not a well-formed CSV at line 3"),
    ("fit {d}/empty.csv", "fit", "'.*empty.csv' is empty"),
    ("fit {d}/nocols.csv", "fit", "lacks the long-table columns"),
    ("fit {d}/run -o {d}/afolder.csv", "fit", "gap table file '.*afolder.csv' is a folder"),
    ("report {d}/run --out {d}/notes.txt", "report", "report folder '.*notes.txt' is an existing file"),
    ("report {d}/emptydir --out {d}/rep", "report", "is a folder but not a run folder"),
    # bank
    ("bank validate {d}/nowhere", "bank", "nowhere does not exist; pass a bank folder"),
    ("bank validate {d}/deep", "bank", "bank.jsonl:1: the JSON is nested too deeply"),
    ("bank validate {d}/nan", "bank", "bank.jsonl:1: "),
    ("bank show {d}/emptydir", "bank", "bank.jsonl does not exist"),
    ("bank build --out {d}/notes.txt", "bank", "bank folder '.*notes.txt' is an existing file"),
    ("bank import gapeval {d}/emptydir {d}/b", "bank", "no data_<id> folders"),
    # agreement and the demos
    ("agreement {d}/nowhere.csv --a a --b b", "agreement", "ratings file '.*nowhere.csv' does not exist"),
    ("agreement {d}/latin.csv --a a --b b", "agreement", "ratings file '.*latin.csv' is not UTF-8 text"),
    ("agreement {d}/ab.csv --a x --b b", "agreement", "column\\(s\\) \\['x'\\] not found"),
    ("agreement {d}/ab.csv --a a --b b --level 3", "agreement", "level must lie strictly between 0 and 1"),
    ("demo-irt --respondents 0", "demo-irt", "at least 10 respondents"),
    ("demo-irt --samples 0", "demo-irt", "num_samples=0 must be a positive integer"),
    ("demo --out {d}/notes.txt --limit 1", "demo", "demo folder '.*notes.txt' is an existing file"),
]


@pytest.mark.parametrize(("line", "command", "message"), CASES, ids=[c[0].split(" {d}")[0] + f"-{i}"
                                                                    for i, c in enumerate(CASES)])
def test_bad_input_is_one_line_and_exit_2(place, capsys, line, command, message):
    capsys.readouterr()
    code = main([part.format(d=place) for part in line.split()])
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert code == 2, err
    assert "Traceback" not in err
    assert last.startswith(f"gapeval {command}: error: ")
    assert re.search(message, last), last
