"""The published JSON Schema of the output record, and a validator for it."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:
    from collections.abc import Callable

    from jsonschema import Draft202012Validator


@lru_cache(maxsize=1)
def article_schema() -> dict[str, Any]:
    """The JSON Schema of one output record (``crawler/schema/article.schema.json``)."""
    text = (resources.files("crawler.schema") / "article.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def article_validator() -> Draft202012Validator:
    """A compiled validator of output records (formats checked too). jsonschema is imported here, at the first
    record the fast check refuses: a crawl whose records are all valid never needs it."""
    from jsonschema import Draft202012Validator, FormatChecker  # noqa: PLC0415

    return Draft202012Validator(article_schema(), format_checker=FormatChecker())


def record_errors(record: dict[str, Any]) -> list[str]:
    """Every way ``record`` breaks the schema, as 'field: message' lines; empty when valid."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(record)'}: {error.message}"
        for error in sorted(article_validator().iter_errors(record), key=lambda e: list(e.absolute_path))
    ]


@lru_cache(maxsize=1)
def _compiled_check() -> Callable[[Any], Any]:
    # use_default=False: the check never writes a schema default into the record it is given.
    check: Callable[[Any], Any] = fastjsonschema.compile(article_schema(), use_default=False)
    return check


def surely_valid(record: dict[str, Any]) -> bool:
    """Whether fastjsonschema's compiled check (Python code generated from the schema, ~10x faster than jsonschema
    here) takes ``record``. It takes no record jsonschema refuses (its formats are stricter, and the tests check the
    rest), but for a Python tuple where the schema wants an array: a tuple is one to it, as it is in the JSON written.
    A record it refuses goes to ``record_errors``, whose verdict and messages are the contract."""
    try:
        _compiled_check()(record)
    except fastjsonschema.JsonSchemaException:
        return False
    return True
