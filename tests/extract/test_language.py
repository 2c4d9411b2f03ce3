"""Language identification on short and mixed texts, and the page's declared language as a fallback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from crawler.cache import CACHE_DIR_ENV
from crawler.extract import language
from crawler.extract.language import declared_language, identify, main_script_text

if TYPE_CHECKING:
    from collections.abc import Iterator

    from py3langid.langid import LanguageIdentifier

HEADLINES = [
    ("en", "Russia blocks WhatsApp calls"),
    ("en", "Iran lifts ban on Google Play"),
    ("ru", "Роскомнадзор заблокировал WhatsApp"),
    ("ru", "В России ограничили звонки в Telegram"),
    ("ru", "Мобильный интернет отключили"),
    ("uk", "Росія заблокувала Viber"),
    ("uk", "Блокування YouTube в Росії"),
    ("es", "Venezuela bloquea Signal y TikTok"),
    ("es", "Cuba corta el internet tras protestas"),
    ("pt", "STF determina suspensão do Telegram"),
    ("pt", "Moçambique volta a restringir redes sociais"),
    ("tr", "BTK Instagram'a erişimi engelledi"),
    ("tr", "Instagram erişime kapatıldı"),
    ("fa", "رفع فیلتر واتس‌اپ و گوگل‌پلی"),
    ("fa", "فیلترینگ یوتیوب"),
    ("fr", "L'Algérie coupe internet pendant le bac"),
    ("fr", "YouTube supprime des centaines de chaînes"),
    ("de", "Türkei sperrt Discord per Gerichtsbeschluss"),
    ("de", "Werbeblocker: Verlage scheitern vor Gericht"),
    ("ar", "حجب تطبيق تيك توك في العراق"),
]


@pytest.mark.parametrize(("expected", "text"), HEADLINES)
def test_short_headlines(expected: str, text: str) -> None:
    assert identify(text) == expected


@pytest.mark.parametrize(
    ("text", "declared", "hint", "expected"),
    [
        # too short or uncertain: the page's declared language, then the source's
        ("WhatsApp и Telegram", "ru-RU", "", "ru"),
        ("Telegram", "", "uk", "uk"),
        # sure of itself: the text wins over a wrong declaration (a Swahili page declaring English)
        (
            "Watu 18 wanaswa kwa makosa mbalimbali katika mkoa wa Shinyanga baada ya msako wa polisi wiki hii",
            "en",
            "",
            "sw",
        ),
        ("", "fr", "", "fr"),
    ],
)
def test_declared_language_on_uncertain_text(text: str, declared: str, hint: str, expected: str) -> None:
    assert identify(text, declared=declared, hint=hint) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Роскомнадзор заблокировал WhatsApp и Telegram", "Роскомнадзор заблокировал и"),
        ("Russia blocks WhatsApp", "Russia blocks WhatsApp"),
        ("南海トラフ、一時調査 巨大地震", "南海トラフ、一時調査 巨大地震"),
        # no letter of another script: the text as it is (ASCII, or Latin with accents)
        ("WhatsApp and Telegram, 2026: блок", "WhatsApp and Telegram, 2026: блок"),
        ("Le régulateur bloque WhatsApp", "Le régulateur bloque WhatsApp"),
        ("", ""),
    ],
)
def test_main_script_text_drops_latin_brand_names(text: str, expected: str) -> None:
    assert main_script_text(text) == expected


def test_an_unsure_beginning_is_read_further() -> None:
    """A text whose first SAMPLE_CHARS are a dateline and brand names: the model is unsure of them, reads on and
    finds the Russian text after them."""
    head = "12:30 | 14.02.2026 | " + " ".join(["WhatsApp", "Telegram", "YouTube", "TikTok", "Signal", "VPN"] * 8)
    head = head[: language.SAMPLE_CHARS]
    body = ("Роскомнадзор сообщил, что доступ к мессенджеру будет ограничен во всех регионах страны, а операторы "
            "связи получили предписание выполнить решение до конца недели.")
    first, probability = language.guess(head)
    assert first != "ru" and probability < language.MIN_CONFIDENCE
    assert identify(f"{head}\n{body}") == "ru"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("en-US", "en"), ("ru_RU", "ru"), ("fa", "fa"), ("", ""), ("x-default", ""), ("eng", "")],
)
def test_declared_language(value: str, expected: str) -> None:
    assert declared_language(value) == expected


# --- the decompressed model cache ------------------------------------------------------------------------------

CACHE_SAMPLES = [text for _, text in HEADLINES] + [
    "Roskomnadzor hat WhatsApp in Russland vollständig gesperrt, teilte die Behörde am Montag in Moskau mit."
]


@pytest.fixture
def fresh_identifier() -> Iterator[None]:
    """Each use of the identifier in the test loads the model again; later tests load it anew too."""
    language._identifier.cache_clear()
    yield
    language._identifier.cache_clear()


def _load(monkeypatch: pytest.MonkeyPatch, cache: str) -> tuple[list[tuple[str, float]], LanguageIdentifier]:
    monkeypatch.setenv(CACHE_DIR_ENV, cache)
    language._identifier.cache_clear()
    identifier = language._identifier()
    return [language.guess(text) for text in CACHE_SAMPLES], identifier


@pytest.mark.usefixtures("fresh_identifier")
def test_model_is_cached_decompressed_and_read_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uncached, plain = _load(monkeypatch, "")
    assert list(tmp_path.iterdir()) == []
    cache = tmp_path / "cache"
    first, _ = _load(monkeypatch, str(cache))  # decompresses into the cache
    files = list(cache.glob("py3langid-model-*.npz"))
    assert len(files) == 1
    assert files[0].stat().st_size > 10_000_000  # the model, not a stub
    stamp = files[0].stat().st_mtime_ns
    second, cached = _load(monkeypatch, str(cache))  # reads the cache
    assert files[0].stat().st_mtime_ns == stamp  # not written again
    assert uncached == first == second
    assert cached.nb_classes == plain.nb_classes
    assert cached.tk_nextmove == plain.tk_nextmove
    assert cached.tk_row == plain.tk_row
    assert cached.tk_output == plain.tk_output
    assert (cached.nb_ptc == plain.nb_ptc).all()
    assert (cached.nb_pc == plain.nb_pc).all()


@pytest.mark.usefixtures("fresh_identifier")
def test_a_damaged_cache_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    expected, _ = _load(monkeypatch, "")
    _load(monkeypatch, str(tmp_path))
    (cached,) = tmp_path.glob("py3langid-model-*.npz")
    cached.write_bytes(b"PK\x03\x04 not a model")
    with caplog.at_level("WARNING", logger="crawler.cache"):
        damaged, _ = _load(monkeypatch, str(tmp_path))
    assert damaged == expected
    assert any("damaged cache file" in r.getMessage() and str(cached) in r.getMessage()
               for r in caplog.records)
    again, _ = _load(monkeypatch, str(tmp_path))  # written anew
    assert again == expected
    assert cached.stat().st_size > 10_000_000


@pytest.mark.usefixtures("fresh_identifier")
@pytest.mark.parametrize("kind", ["compressed", "incomplete"])
def test_a_cache_file_that_cannot_be_mapped_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """The cached model is read in place (mapped), which needs its arrays stored uncompressed, all of them."""
    expected, plain = _load(monkeypatch, "")
    _load(monkeypatch, str(tmp_path))
    (cached,) = tmp_path.glob("py3langid-model-*.npz")
    arrays = {"ptc": plain.nb_ptc, "pc": plain.nb_pc, "classes": np.array(plain.nb_classes)}
    if kind == "compressed":
        arrays |= {"nextmove": np.asarray(plain.tk_nextmove), "nextmove_row": np.asarray(plain.tk_row),
                   "out_feat": np.asarray(plain.tk_output, dtype=np.int32)}
        with cached.open("wb") as file:
            np.savez_compressed(file, **arrays)
    else:
        with cached.open("wb") as file:
            np.savez(file, **arrays)
    with caplog.at_level("WARNING", logger="crawler.cache"):
        damaged, _ = _load(monkeypatch, str(tmp_path))
    assert damaged == expected
    message = "is compressed" if kind == "compressed" else "no nextmove, nextmove_row, out_feat in the model file"
    assert any("damaged cache file" in r.getMessage() and message in r.getMessage() for r in caplog.records)
    again, _ = _load(monkeypatch, str(tmp_path))  # written anew, and read in place
    assert again == expected
    assert cached.stat().st_size > 10_000_000


@pytest.mark.usefixtures("fresh_identifier")
def test_an_unwritable_cache_directory_only_costs_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected, _ = _load(monkeypatch, "")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    results, _ = _load(monkeypatch, str(blocked / "cache"))
    assert results == expected
    assert blocked.read_text() == "not a directory"


@pytest.mark.usefixtures("fresh_identifier")
def test_stale_model_caches_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "py3langid-model-1-2.npz"
    stale.write_bytes(b"an older release's model")
    _load(monkeypatch, str(tmp_path))
    assert not stale.exists()
    assert len(list(tmp_path.glob("py3langid-model-*.npz"))) == 1
