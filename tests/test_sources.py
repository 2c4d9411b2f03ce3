from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sources import (
    SourcesError,
    adhoc_sources,
    default_sources_path,
    load_sources,
    parse_duration,
    resolve_sources,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_sources_file_is_valid_and_large_enough() -> None:
    sources = load_sources(default_sources_path())
    assert len(sources) >= 30
    assert len({s.name for s in sources}) == len(sources)
    assert all(s.url.startswith("https://") for s in sources)
    urls = " ".join(s.url for s in sources)
    # news-search feeds cover the wires that have no feed of their own
    assert "news.google.com/rss/search" in urls
    assert "api.gdeltproject.org/api/v2/doc/doc" in urls


def test_defaults_and_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, """
[defaults]
interval = "30m"
language = "en"
[[sources]]
name = "a"
url = "https://a.example/feed"
[[sources]]
name = "b-2"
url = "https://b.example/sitemap.xml"
kind = "sitemap"
interval = "15m"
language = "ru"
timezone = "Europe/Moscow"
[[sources]]
name = "c"
url = "https://c.example/"
cron = "*/10 * * * *"
""")
    a, b, c = load_sources(path)
    assert (a.interval, a.language, a.kind, a.cron) == (1800, "en", None, None)
    assert (b.interval, b.language, b.kind, b.timezone) == (900, "ru", "sitemap", "Europe/Moscow")
    assert c.cron == "*/10 * * * *"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[sources]]\nname = 'x'\nurl = ", "not valid TOML"),
        ("[defaults]\ninterval = '1h'\n", "no [[sources]] entries"),
        ("[[sources]]\nname = 'Bad Name'\nurl = 'https://x.example/'\n", "source #1 ('Bad Name'): bad name"),
        ("[[sources]]\nname = 'x'\n", "source #1 ('x'): missing url"),
        ("[[sources]]\nname = 'x'\nurl = 'ftp://x.example/'\n", "bad url 'ftp://x.example/'"),
        ("[[sources]]\nname = 'x'\nurl = 'https://x.example/'\nkind = 'rss'\n", "bad kind 'rss'"),
        ("[[sources]]\nname = 'x'\nurl = 'https://x.example/'\ninterval = 'often'\n", "bad duration 'often'"),
        ("[[sources]]\nname = 'x'\nurl = 'https://x.example/'\ncron = '* * *'\n", "bad cron '* * *'"),
        ("[[sources]]\nname = 'x'\nurl = 'https://x.example/'\ntimezone = 'Mars/Olympus'\n", "unknown timezone"),
        ("[[sources]]\nname = 'x'\nurl = 'https://x.example/'\nlanguage = 'english'\n", "bad language 'english'"),
        ("[[sources]]\nname = 'x'\nurl = 'https://x.example/'\nspeed = 'fast'\n", "unknown key(s) speed"),
        ("[[sources]]\nname = 'x'\nurl = 'https://x.example/'\n[[sources]]\nname = 'x'\nurl = 'https://y.example/'\n",
         "source #2 ('x'): duplicate name 'x'"),
        ("[[sources]]\nname = 'x'\nurl = 5\n", "url must be a string"),
        ("[source]\nname = 'x'\n", "unknown table(s) source"),
    ],
)
def test_bad_file_is_one_line_naming_file_source_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SourcesError) as info:
        load_sources(path)
    line = str(info.value)
    assert "\n" not in line
    assert line.startswith(str(path))
    assert message in line


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="no such sources file"):
        load_sources(tmp_path / "nope.toml")


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400)])
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "5", "m", "1x", "-1m", "1.5h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_select_and_adhoc(tmp_path: Path) -> None:
    path = write(tmp_path, "[[sources]]\nname='a'\nurl='https://a.example/'\n[[sources]]\nname='b'\nurl='https://b.example/'\n")
    assert [s.name for s in resolve_sources(path, names="b")] == ["b"]
    with pytest.raises(SourcesError, match="no source named 'c'"):
        resolve_sources(path, names="a,c")
    sources = adhoc_sources("http://127.0.0.1:8000/feed.xml,http://127.0.0.1:8000/sitemap.xml")
    assert [s.name for s in sources] == ["127-0-0-1", "127-0-0-1-2"]
    assert all(s.kind is None for s in sources)
    with pytest.raises(SourcesError, match="-a url: bad url"):
        adhoc_sources("not a url")
