"""The cache directory: where it is, and files written whole, once, or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pytest

from crawler.cache import CACHE_DIR_ENV, cache_dir, cached_file


def test_cache_directory_default_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "blockradar"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "blockradar"
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x"
    monkeypatch.setenv(CACHE_DIR_ENV, " ")
    assert cache_dir() is None
    assert cached_file("a", lambda file: file.write(b"a")) is None


def test_a_file_is_written_once_and_its_old_versions_removed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    calls: list[str] = []

    def write(file: IO[bytes]) -> None:
        calls.append(file.name)
        file.write(b"payload")

    (tmp_path / "cache").mkdir()
    old = tmp_path / "cache" / "thing-1.bin"
    old.write_bytes(b"old")
    path = cached_file("thing-2.bin", write, stale="thing-*.bin")
    assert path == tmp_path / "cache" / "thing-2.bin"
    assert path.read_bytes() == b"payload"
    assert not old.exists()
    assert cached_file("thing-2.bin", write, stale="thing-*.bin") == path
    assert len(calls) == 1
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["thing-2.bin"]


def test_a_failed_write_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))

    def write(file: IO[bytes]) -> None:
        file.write(b"half")
        raise OSError("disk full")

    assert cached_file("thing.bin", write) is None
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="not this"):
        cached_file("thing.bin", lambda file: (_ for _ in ()).throw(ValueError("not this")))
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_directory_is_no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocked / "cache"))
    assert cached_file("thing.bin", lambda file: file.write(b"x")) is None
    assert blocked.read_text() == "not a directory"
