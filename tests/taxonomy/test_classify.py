"""The classifier: behaviour on small self-written sentences, and its quality on the labelled corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.classify import Classifier
from crawler.taxonomy import fold, load_taxonomy, tokenize

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


@pytest.mark.parametrize(
    ("title", "body", "language", "platforms", "countries", "actions"),
    [
        ("Roskomnadzor slows down YouTube", "Russia's communications regulator Roskomnadzor said on Tuesday it had "
         "started to slow down YouTube across the country, citing the platform's refusal to delete content.", "en",
         ["YouTube"], ["RU"], ["throttle"]),
        ("РКН ограничил звонки в WhatsApp и Telegram", "Роскомнадзор ограничил голосовые звонки в мессенджерах "
         "WhatsApp и Telegram, сообщило ведомство.", "ru", ["Telegram", "WhatsApp"], ["RU"], ["feature_restriction"]),
        ("Turkey lifts its block on Instagram", "Turkey's BTK lifted its block on Instagram on Saturday after nine "
         "days, the transport ministry said.", "en", ["Instagram"], ["TR"], ["unblock"]),
        ("Instagram'a erişim engeli getirildi", "Bilgi Teknolojileri ve İletişim Kurumu (BTK), Instagram'a erişim "
         "engeli getirdi.", "tr", ["Instagram"], ["TR"], ["block"]),
        ("Iran cuts mobile internet in Zahedan", "Authorities in Iran cut mobile internet access in Zahedan ahead "
         "of Friday protests, residents said.", "en", ["internet"], ["IR"], ["shutdown"]),
    ],
)
def test_positives_are_tagged(classifier: Classifier, title: str, body: str, language: str, platforms: list[str],
                              countries: list[str], actions: list[str]) -> None:
    verdict = classifier.classify_text(title, body, language=language)
    assert verdict.relevant, verdict
    assert verdict.platforms == platforms
    assert verdict.countries == countries
    assert verdict.actions == actions
    assert verdict.evidence


@pytest.mark.parametrize(
    ("title", "body", "language"),
    [
        # a platform acting on its own service
        ("YouTube blocks dozens of channels", "YouTube blocked dozens of channels for violating its rules, the company "
         "said in a blog post.", "en"),
        # an outage, and a regulator denying any restriction
        ("Telegram down for millions", "Telegram suffered a global outage on Monday. Roskomnadzor said it had not "
         "introduced any restrictions on the messenger.", "en"),
        # other senses of 'block'
        ("Senators block a bill on data brokers", "Senators blocked the bill on Tuesday; supporters had promoted it "
         "on TikTok and Instagram for weeks.", "en"),
        ("Blockchain firm raises $40m", "The blockchain start-up, which announced the round on X, will hire 50 "
         "engineers.", "en"),
        # Russian press boilerplate about Meta around an unrelated story
        ("Синоптики обещают жару", "В Москве ожидается жара до 35 градусов. Instagram принадлежит компании Meta, "
         "признанной в России экстремистской и запрещённой.", "ru"),
        # parents, not the state
        ("Parents block TikTok with new apps", "Parents block TikTok and Roblox on their children's phones with "
         "parental-control apps, a survey found.", "en"),
    ],
)
def test_hard_negatives_are_dropped(classifier: Classifier, title: str, body: str, language: str) -> None:
    verdict = classifier.classify_text(title, body, language=language)
    assert not verdict.relevant, verdict


def test_inflected_forms_and_transliterations_match() -> None:
    tx = load_taxonomy()
    text = "замедлением ютуба и блокировкой мессенджера Ватсап"
    labels = {h.label for h in tx.combined.hits(tokenize(text), fold(text))}
    assert {"platforms|YouTube", "platforms|WhatsApp", "actions|throttle", "actions|block"} <= labels


def load_corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted(CORPUS.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_corpus_quality(classifier: Classifier) -> None:
    """Relevance precision and recall on the labelled corpus (benchmarks/classify.py prints the full report)."""
    articles = load_corpus()
    assert len(articles) >= 160
    tp = fp = fn = 0
    for article in articles:
        got = classifier.classify_text(article["title"], article["body"], language=article["language"]).relevant
        tp += got and article["relevant"]
        fp += got and not article["relevant"]
        fn += article["relevant"] and not got
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
