"""The validation pipeline's shortcut changes no verdict: what fastjsonschema's compiled check takes, jsonschema
takes, and what it does not is validated (and dropped with its errors) by jsonschema."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.exceptions import DropItem

from crawler.items import OUTPUT_FIELDS, Article
from crawler.schema import record_errors, surely_valid
from pipelines.validate import ValidatePipeline, output_record

VALID = Article(
    url="https://news.example/2026/story?x=1", id="0123456789abcdef", canonical_url="https://news.example/2026/story",
    source="Example News", domain="news.example", title="A title", description="", body="First.\n\nSecond.",
    authors=["Ann Lee"], language="en", published="2026-02-12T09:30:00+05:00", modified=None,
    fetched_at="2026-02-12T10:00:00+00:00", relevance=0.75, platforms=["X"], countries=["PK"], actions=["block"],
    authorities=["PTA"], evidence=["ordered to block"],
)
# Values of every JSON type and of the forms the schema tells apart.
_VALUES = st.sampled_from([
    None, "", " ", "x", "XX", "xx", "x\n", "0123456789abcdef", "0123456789ABCDEF", "https://a.example/", "ftp://a",
    "2026-02-12T09:30:00Z", "2026-02-12T09:30", "2026-02-12T09:30:00+00:00", "block", "nope", 0, 1, 2, -1, 1.0, 0.5,
    1.5, float("nan"), True, False, [], [""], ["a"], ["a", "a"], ["PK", "PK"], ["pk"], ["block", "threat"], [1],
    [None], [["a"]], {}, {"a": 1}, ("a",),
])


def test_a_valid_record_takes_the_shortcut() -> None:
    assert record_errors(output_record(VALID)) == []
    assert surely_valid(output_record(VALID))


@settings(max_examples=3000, deadline=None)
@given(st.dictionaries(st.sampled_from([*OUTPUT_FIELDS, "extra"]), _VALUES, max_size=4),
       st.lists(st.sampled_from(OUTPUT_FIELDS), max_size=2))
def test_the_shortcut_never_takes_an_invalid_record(changes: dict[str, Any], missing: list[str]) -> None:
    record = output_record(VALID) | changes
    for name in missing:
        record.pop(name, None)
    if surely_valid(record):
        # As written: a Python tuple is a JSON array to fastjsonschema, and in the file (jsonschema wants a list).
        assert record_errors(json.loads(json.dumps(record))) == []


@pytest.mark.parametrize(("field", "value"), [
    ("id", "XYZ"), ("version", 0), ("url", "ftp://x"), ("body", ""), ("language", "eng"), ("published", "yesterday"),
    ("fetched_at", "2026-02-12T10:00:00+05:00"), ("relevance", 1.5), ("countries", ["PK", "PK"]),
    ("actions", ["blocks"]), ("authors", [""]), ("schema_version", 2), ("relevance", True),
])
def test_an_invalid_item_is_dropped_with_jsonschemas_errors(field: str, value: Any) -> None:
    item = replace(VALID, **{field: value})
    errors = record_errors(output_record(item))
    assert errors
    with pytest.raises(DropItem) as dropped:
        ValidatePipeline().process_item(item)
    assert str(dropped.value) == f"Invalid record for {item.url}: {'; '.join(errors[:3])}"


def test_the_record_is_not_changed_by_the_shortcut() -> None:
    record = output_record(VALID)
    before = dict(record)
    assert surely_valid(record)
    assert record == before


def test_a_valid_record_the_shortcut_refuses_passes_by_jsonschema() -> None:
    # fastjsonschema checks the 'uri' format itself, which jsonschema leaves to an optional package
    item = replace(VALID, canonical_url="https://news.example/a b")
    assert not surely_valid(output_record(item))
    assert record_errors(output_record(item)) == []
    assert ValidatePipeline().process_item(item) is item
