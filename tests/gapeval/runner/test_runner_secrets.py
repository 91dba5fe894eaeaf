"""Secrets never land anywhere: a server on 127.0.0.1 echoes the API key back in every way it can."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from localserver import LocalServer, chat, json_reply

from gapeval.cli import main

pytest.importorskip("httpx")

#: Matches none of the credential patterns: only the exact-value pass can catch it.
KEY = "zq9unguessable7731xx"
URL_KEY = "urlsecret99887766"


def echo(method: str, path: str, headers: dict[str, str], body: bytes):
    """Echo the key (the Authorization header without its scheme) in the answer, a refusal, an
    error, the raw extras — by turns."""
    authorization = headers.get("Authorization", "")
    key = authorization.removeprefix("Bearer ")
    payload = json.loads(body or b"{}")
    turn = payload.get("seed", 0) % 4
    if turn == 0:
        return chat(f"12. Your key is {key}; you called {path}; header {authorization}", id=f"chatcmpl-{key}")
    if turn == 1:
        return chat(None, refusal=f"I will not repeat {key}", system_fingerprint=key)
    if turn == 2:
        return json_reply(400, {"error": {"message": f"bad key {key} (url {path})"}})
    return chat(f"7 {key}", model=key)


def files_under(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


def test_the_key_is_in_no_file_of_the_run_its_exports_or_its_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ECHO_CRED", KEY)  # a name that does not say it holds a key
    run_dir, report_dir = tmp_path / "run", tmp_path / "report"
    with LocalServer(echo) as server:
        spec = f"openai-http:base_url={server.url}?key={URL_KEY},model=echo,api_key_env=ECHO_CRED,name=echo"
        code = main(["run", "--model", spec, "--include", "items", "--limit", "24", "--out", str(run_dir), "--quiet"])
        assert server.seen and all(headers.get("Authorization") == f"Bearer {KEY}" for _, _, headers in server.seen)
        assert all(path == f"/v1/chat/completions?key={URL_KEY}" for _, path, _ in server.seen)
    assert code == 3  # the 400s are logged errors
    assert main(["export", str(run_dir), "-o", str(tmp_path / "long.csv"), "--include-unscored",
                 "--include-errors"]) == 0  # fmt: skip
    assert main(["export", str(run_dir), "-o", str(tmp_path / "long.parquet"), "--include-unscored"]) == 0
    assert main(["report", str(run_dir), "--out", str(report_dir), "--inference", "svi", "--svi-steps", "20"]) == 0
    output = capsys.readouterr()
    written = files_under(run_dir, report_dir) + [tmp_path / "long.csv", tmp_path / "long.parquet"]
    names = {path.name for path in written}
    assert {"answers.sqlite", "manifest.json", "long.csv", "report.md"} <= names
    for path in written:
        data = path.read_bytes()
        assert KEY.encode() not in data and URL_KEY.encode() not in data, f"a key landed in {path}"
    assert KEY not in output.out + output.err and URL_KEY not in output.out + output.err
    answers = (run_dir / "answers.sqlite").read_bytes() + (run_dir / "answers.sqlite-wal").read_bytes() \
        if (run_dir / "answers.sqlite-wal").exists() else (run_dir / "answers.sqlite").read_bytes()
    assert b"12. Your key is <redacted>" in answers and b"I will not repeat <redacted>" in answers
    assert b"bad key <redacted>" in answers
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["config"]["models"][0]["options"]["base_url"] == server.url  # no query string
