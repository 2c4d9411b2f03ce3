"""Language identification on short and mixed texts, and the page's declared language as a fallback."""

from __future__ import annotations

import pytest

from crawler.extract.language import declared_language, identify, main_script_text

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


@pytest.mark.parametrize(
    ("value", "expected"),
    [("en-US", "en"), ("ru_RU", "ru"), ("fa", "fa"), ("", ""), ("x-default", ""), ("eng", "")],
)
def test_declared_language(value: str, expected: str) -> None:
    assert declared_language(value) == expected
