"""Fixtures of the events tests: the labelled article records, a webhook receiver and an SMTP server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crawler.events.model import ArticleRef
from tests.events.servers import SmtpServer, WebhookReceiver

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "s3cret-for-tests"


def load_records() -> list[dict[str, Any]]:
    """The labelled article records (tests/events/fixtures/articles.jsonl), in arrival order."""
    text = (FIXTURES / "articles.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def records() -> list[dict[str, Any]]:
    return load_records()


@pytest.fixture(scope="session")
def articles(records: list[dict[str, Any]]) -> list[ArticleRef]:
    return [ArticleRef.from_record(r) for r in records]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as served:
        yield served


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as served:
        yield served
