"""The published JSON Schema of an event record (``crawler/events/event.schema.json``), and a validator for it."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker


@lru_cache(maxsize=1)
def event_schema() -> dict[str, Any]:
    """The JSON Schema of one line of ``events.jsonl``."""
    text = (resources.files("crawler.events") / "event.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(event_schema(), format_checker=FormatChecker())


def event_errors(record: dict[str, Any]) -> list[str]:
    """Every way ``record`` breaks the event schema, as 'field: message' lines; empty when valid."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(record)'}: {error.message}"
        for error in sorted(_validator().iter_errors(record), key=lambda e: list(e.absolute_path))
    ]
