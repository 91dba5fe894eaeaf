"""Stores that fail loudly and clearly: damaged bytes, an emptied database, a full disk, a read-only
folder — each a named error with what to do, nothing committed lost, and readers that read read-only."""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from storekit import image_result, request, text_result

from gapeval.cli import main
from gapeval.store import Store
from gapeval.store.failures import StoreCorruptError, StoreError, StoreFullError, StoreReadOnlyError
from gapeval.store.schema import StoreSchemaError


def fill(folder: Path, count: int = 6) -> None:
    """A closed store with ``count`` text answers, one image answer, scores and a manifest."""
    with Store(folder) as store:
        for index in range(count):
            req = request(f"q{index}")
            store.put(req, text_result(req, "A" if index % 2 else "B"))
            store.put_score(req, "rules", float(index % 2))
        picture = request("g1", image=True)
        store.put(picture, image_result(picture))
        store.write_manifest({"config": {"bank": "builtin"}})


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


# -- damaged bytes -------------------------------------------------------------------------------


def test_a_flipped_header_is_named_and_nothing_is_changed(tmp_path, capsys):
    fill(tmp_path)
    database = tmp_path / "answers.sqlite"
    data = bytearray(database.read_bytes())
    data[0:16] = bytes(b ^ 0xFF for b in data[0:16])
    database.write_bytes(bytes(data))
    before = snapshot(tmp_path)
    for readonly in (False, True):
        with pytest.raises(StoreSchemaError, match="is not a gapeval store database.*damaged.*nothing was changed"):
            Store(tmp_path, readonly=readonly)
    code, err = cli(capsys, "export", str(tmp_path), "-o", str(tmp_path.parent / "x.csv"))
    assert code == 4 and err.count("\n") == 1 and "file is not a database" in err
    assert snapshot(tmp_path) == before


def test_damaged_pages_give_a_corrupt_store_error_and_verify_lists_problems_without_raising(tmp_path, capsys):
    fill(tmp_path, count=300)
    database = tmp_path / "answers.sqlite"
    with sqlite3.connect(database) as connection:
        (meta,) = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'meta'").fetchone()
    data = bytearray(database.read_bytes())
    page, pages = 4096, len(data) // 4096
    for number in range(pages // 2, pages + 1):  # the later pages (answers, scores), not meta's
        if number != meta:
            data[(number - 1) * page : (number - 1) * page + 64] = b"\xa5" * 64
    database.write_bytes(bytes(data))
    before = snapshot(tmp_path)
    with Store(tmp_path, readonly=True) as store:
        problems = store.verify()
        assert problems and all(isinstance(p, str) for p in problems)
        with pytest.raises(StoreCorruptError, match="is damaged: database disk image is malformed"):
            list(store.answers())
    code, err = cli(capsys, "verify", str(tmp_path))
    assert code == 4 and "problem(s)" in err
    code, err = cli(capsys, "export", str(tmp_path), "-o", str(tmp_path.parent / "x.csv"))
    assert code == 4 and "is damaged" in err and ".recover" in err
    assert snapshot(tmp_path) == before


def test_bytes_that_are_not_text_are_found_by_verify_and_named_by_readers(tmp_path):
    fill(tmp_path)
    connection = sqlite3.connect(tmp_path / "answers.sqlite")
    connection.executescript(
        "DROP TRIGGER answers_no_update;"
        "UPDATE answers SET image_sha256 = CAST(X'FFFE00' AS TEXT) WHERE image_file IS NOT NULL;"
        "UPDATE answers SET result_json = CAST(X'7B22FF' AS TEXT) WHERE unit = 'q2';"
    )
    connection.close()
    with Store(tmp_path, readonly=True) as store:
        problems = store.verify()
        assert any("image file name or hash is damaged" in p for p in problems)
        assert any("its stored result is damaged" in p for p in problems)
        with pytest.raises(StoreCorruptError, match="not text|cannot be read back"):
            list(store.answers())


def test_an_emptied_or_missing_database_beside_the_images_is_not_a_new_store(tmp_path, capsys):
    fill(tmp_path)
    (tmp_path / "answers.sqlite").write_bytes(b"")
    before = snapshot(tmp_path)
    with pytest.raises(StoreCorruptError, match=r"answers.sqlite is empty \(0 bytes\) but the folder holds 1 image"):
        Store(tmp_path)
    code, err = cli(capsys, "run", "--model", "scripted", "--limit", "1", "--out", str(tmp_path), "--quiet")
    assert code == 4 and "start the run again from nothing" in err
    (tmp_path / "answers.sqlite").unlink()
    with pytest.raises(StoreCorruptError, match="answers.sqlite is missing"):
        Store(tmp_path)
    assert snapshot(tmp_path) == {k: v for k, v in before.items() if k != "answers.sqlite"}
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "answers.sqlite").write_bytes(b"")  # a writer killed at birth: nothing else there
    with Store(fresh) as store:
        assert len(store) == 0


# -- a full disk -----------------------------------------------------------------------------------


def test_a_full_database_is_named_and_what_was_committed_stays(tmp_path):
    fill(tmp_path, count=3)
    with Store(tmp_path) as store:
        pages = store._connection.execute("PRAGMA page_count").fetchone()[0]
        store._connection.execute(f"PRAGMA max_page_count = {pages}")
        big = [(request(f"big{i}"), text_result(request(f"big{i}"), "x" * 5000)) for i in range(20)]
        with pytest.raises(StoreFullError, match="no space left .* while committing answers .* re-run the same"):
            store.put_many(big)
        assert len(store) == 4 and store.get(request("q1")).result.output.text == "A"
        store._connection.execute("PRAGMA max_page_count = 1073741823")
        assert store.put_many(big) == [True] * 20
        assert store.verify() == []


def test_no_space_for_an_image_or_the_manifest_is_named_and_nothing_half_written(tmp_path, monkeypatch):
    fill(tmp_path, count=2)
    import gapeval.store.images
    import gapeval.store.manifest

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with Store(tmp_path) as store:
        monkeypatch.setattr(gapeval.store.images, "write_bytes_atomic", no_space)
        picture = request("g2", image=True)
        with pytest.raises(StoreFullError, match="while writing an answer's image"):
            store.put(picture, image_result(picture, colour=(1, 2, 3)))
        assert not store.has(picture) and len(store) == 3
        monkeypatch.setattr(gapeval.store.manifest, "write_bytes_atomic", no_space)
        with pytest.raises(StoreFullError, match="while writing manifest.json"):
            store.write_manifest({"config": {}})
        assert store.verify() == []


def _mountable() -> bool:
    return os.geteuid() == 0 and subprocess.run(["which", "mount"], capture_output=True).returncode == 0


@pytest.fixture
def tmpfs(tmp_path):
    """A small tmpfs mounted in ``tmp_path`` (needs root); unmounted after the test."""
    folder = tmp_path / "mnt"
    folder.mkdir()
    if not _mountable() or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(folder)],
                                          capture_output=True).returncode:  # fmt: skip
        pytest.skip("mounting a small tmpfs needs root (the simulated-ENOSPC tests cover the rest)")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_really_full_disk_exits_4_and_the_run_resumes_once_there_is_space(tmpfs, capsys):
    run_dir = tmpfs / "run"
    args = ("run", "--model", "scripted", "--limit", "40", "--out", str(run_dir), "--quiet", "--no-score")
    code, err = cli(capsys, *args)
    assert code == 4 and err.count("\n") == 1 and "no space left on the device" in err
    with Store(run_dir, readonly=True) as store:
        committed = {a.key: a.result.output for a in store.answers()}
        assert committed and store.verify() == []
    subprocess.run(["mount", "-o", "remount,size=64m", str(tmpfs)], check=True)
    code, _ = cli(capsys, *args)
    assert code == 0
    with Store(run_dir, readonly=True) as store:
        assert store.verify() == [] and len(store) == 356
        assert all(store.get(key).result.output == output for key, output in committed.items())


# -- a read-only folder ----------------------------------------------------------------------------


@pytest.fixture
def read_only(tmp_path):
    """A function making a folder read-only: a tmpfs remounted read-only as root, chmod otherwise."""
    mounted: list[Path] = []

    def make(build) -> Path:
        folder = tmp_path / "ro"
        folder.mkdir()
        if os.geteuid() != 0:
            build(folder)
            for path in [folder, *folder.rglob("*")]:
                path.chmod(0o555 if path.is_dir() else 0o444)
            return folder
        if not _mountable() or subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(folder)],
                                              capture_output=True).returncode:  # fmt: skip
            pytest.skip("a read-only folder for root needs a read-only mount")
        mounted.append(folder)
        build(folder)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)
    for path in tmp_path.rglob("*"):
        if path.exists() and not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_readers_work_in_a_read_only_folder_and_writers_are_told_why_not(read_only, tmp_path, capsys):
    def build(folder: Path) -> None:
        main(["run", "--model", "scripted", "--limit", "3", "--out", str(folder / "run"), "--quiet"])

    run_dir = read_only(build) / "run"
    capsys.readouterr()
    before = snapshot(run_dir)
    with pytest.raises(OSError):
        (run_dir / "probe").write_text("x")  # the folder really is read-only
    with Store(run_dir, readonly=True) as store:
        assert len(store.to_frame(include_unscored=True)) == 9 and store.verify() == []
        with pytest.raises(StoreReadOnlyError, match="opened read-only"):
            store.put_score(request("q0"), "x", 1.0)
    out = tmp_path / "long.csv"
    assert cli(capsys, "export", str(run_dir), "-o", str(out))[0] == 0 and out.exists()
    assert cli(capsys, "verify", str(run_dir))[0] == 0
    assert cli(capsys, "score", str(run_dir), "--dry-run")[0] == 0
    assert cli(capsys, "run", "--model", "scripted", "--limit", "3", "--out", str(run_dir), "--dry-run")[0] == 0
    assert main(["report", str(run_dir), "--out", str(tmp_path / "report"), "--inference", "svi",
                 "--svi-steps", "20"]) == 0  # fmt: skip
    code, err = cli(capsys, "run", "--model", "scripted", "--limit", "4", "--out", str(run_dir), "--quiet")
    assert code == 4 and "is read-only" in err and "chmod" in err
    with pytest.raises(StoreError):
        Store(run_dir)
    assert snapshot(run_dir) == before
