"""Manifest contents, atomic writes, git versions and credential stripping."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from gapeval.store import Store, build_manifest, git_version, redact, scrub
from gapeval.store.redact import is_secret_key


def test_manifest_records_provenance_without_credentials():
    config = {
        "models": [{"name": "gpt", "adapter": "openai", "base_url": "https://api.example",
                    "api_key": "sk-live-0123456789abcdefghij", "headers": {"X-Api-Key": "k"}}],
        "hf_token": "hf_abcdefghijklmnopqrstuvwxyz",
        "decoding": {"max_new_tokens": 64},
    }
    manifest = build_manifest(
        config=config,
        bank_hash="abc123",
        fingerprints={"gpt": {"model": "gpt-x", "authorization": "Bearer zzz"}},
        run_seed=11,
        shard=(2, 4),
        git=False,
    )
    assert manifest["config"] == {
        "models": [{"name": "gpt", "adapter": "openai", "base_url": "https://api.example",
                    "headers": {}}],
        "decoding": {"max_new_tokens": 64},
    }
    assert manifest["fingerprints"] == {"gpt": {"model": "gpt-x"}}
    assert manifest["seeds"]["run_seed"] == 11
    assert manifest["shard"] == {"index": 2, "count": 4}
    assert manifest["bank_hash"] == "abc123" and manifest["manifest_version"] == 1
    assert manifest["versions"]["pydantic"].startswith("2.")
    assert "python" in manifest["versions"] and manifest["git"] is None
    text = json.dumps(manifest)
    for secret in ("sk-live", "hf_abc", "Bearer", '"k"'):
        assert secret not in text
    assert config["hf_token"].startswith("hf_")  # the input is not modified


def test_store_writes_manifest_atomically_and_keeps_history(tmp_path):
    with Store(tmp_path / "run") as store:
        store.write_manifest({"run": 1, "password": "hunter2"})
        store.write_manifest({"run": 2})
        assert store.manifests() == [{"run": 1}, {"run": 2}]
    assert json.loads((tmp_path / "run" / "manifest.json").read_text()) == {"run": 2}
    assert not list((tmp_path / "run").glob(".tmp-*"))
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert b"hunter2" not in path.read_bytes()


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_version_of_a_checkout(tmp_path):
    assert git_version(tmp_path) is None  # not a checkout
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "f.txt").write_text("1")
    subprocess.run([*git, "add", "f.txt"], check=True)
    assert git_version(tmp_path) is None  # no commit yet
    subprocess.run([*git, "commit", "-q", "-m", "c"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert git_version(tmp_path) == {"commit": head, "dirty": False}
    (tmp_path / "f.txt").write_text("2")
    assert git_version(tmp_path) == {"commit": head, "dirty": True}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True), ("API-KEY", True), ("apiKey", True), ("x-api-key", True),
        ("Authorization", True), ("openai_api_key", True), ("hf_token", True), ("token", True),
        ("client_secret", True), ("password", True), ("Cookie", True),
        ("max_new_tokens", False), ("tokenizer", False), ("key_column", False), ("model", False),
    ],
)
def test_secret_key_names(name, secret):
    assert is_secret_key(name) is secret


def test_scrub_replaces_credential_values_anywhere():
    assert scrub("use Bearer abc.def-ghi now") == "use <redacted> now"
    assert scrub("key sk-ABCDEFGHIJKLMNOPqrstu!") == "key <redacted>!"
    assert scrub("hf_ABCDEFGHIJKLMNOPQRSTUVWX") == "<redacted>"
    assert scrub("sk-short and hf_x stay") == "sk-short and hf_x stay"
    assert redact([{"Token": 1}, ("Basic dXNlcjpwYXNz",)]) == [{}, ["<redacted>"]]
