"""Language identification with py3langid (a small model shipped inside the package: nothing is fetched)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

# Below this many letters the model guesses; the page's declared language (or the source's) is trusted instead.
MIN_LETTERS = 40
# Below this probability the declared language wins when there is one.
MIN_CONFIDENCE = 0.80
_LANG_RE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # noqa: PLC0415 - loading the model takes 0.3 s

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def declared_language(value: str) -> str:
    """'en-US' / 'ru_RU' / 'fa' -> ISO 639-1, '' when it is not a language code."""
    match = _LANG_RE.match(value.strip())
    code = match.group(1).lower() if match else ""
    return code if len(code) == 2 else ""


def identify(text: str, declared: str = "", hint: str = "") -> str:
    """ISO 639-1 code of ``text``; on short or uncertain text the page's ``declared`` language, then ``hint``."""
    fallback = declared_language(declared) or declared_language(hint)
    sample = text[:3000]
    if sum(c.isalpha() for c in sample[:400]) < MIN_LETTERS:
        return fallback or (_identifier().classify(sample)[0] if sample.strip() else "")
    lang, probability = _identifier().classify(sample)
    if fallback and lang != fallback and probability < MIN_CONFIDENCE:
        return fallback
    return str(lang)
