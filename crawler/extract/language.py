"""Language identification with py3langid (a small model shipped inside the package: nothing is fetched).

py3langid is right on article-length text; on short or mixed text (a headline, Latin brand names in a Cyrillic or
Persian sentence) it can slip to a rare neighbour ('fy' for French, 'uzs' for Persian). Three small rules keep it
on track: words of another script are left out, letters only one language of a script has decide between
neighbours (ы for Russian, ї for Ukrainian, گ for Persian, ة for Arabic), and an uncertain guess is narrowed to the
languages news is commonly written in. On uncertain text the page's declared language wins when there is one.

lingua-language-detector was measured against it on our short headlines and the metadata benchmark: no more
accurate (46/50 vs 47/50 headlines), 20 times slower, a 96 MB wheel and 1.3 GB of memory with every model loaded.
"""

from __future__ import annotations

import io
import lzma
import mmap
import re
import shutil
import zipfile
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any, Literal

from crawler.cache import cached_file, discard

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    from py3langid.langid import LanguageIdentifier

# The arrays of py3langid's model file (an LZMA-compressed .npz), in the order its loader gives them.
_MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
_ARRAY_TYPECODES: dict[int, Literal["H", "I", "L"]] = {2: "H", 4: "I", 8: "L"}

# Below this many letters the model guesses; the page's declared language (or the source's) is trusted instead.
MIN_LETTERS = 40
# Below this probability the declared language wins when there is one, and the guess is narrowed to COMMON.
MIN_CONFIDENCE = 0.80
# The model reads this much of the text (headline, description, first paragraphs), and, when it is unsure of it,
# LONG_SAMPLE_CHARS: more costs time (its reader walks the text byte by byte in Python, through a 68 MB table that
# the rest of a page's work pushes out of the CPU caches: ~0.5 ms for 500 characters in a crawl) and changes nothing
# on article-length text. Checked: 200, 300, 500 and 1,000 characters give the same language on the 189 labelled
# stories of tests/taxonomy/corpus and the 220 real-world pages of the extraction benchmark.
SAMPLE_CHARS = 300
LONG_SAMPLE_CHARS = 1000
# Languages news is commonly written in; an uncertain guess outside them ('vec', 'fy', 'uzs') is replaced by the
# best-ranked language among them.
COMMON = frozenset(
    "en ru uk es pt tr fa fr de ar zh ja ko it nl pl cs sk sv no nb da fi el he hi ur id ms vi th ro hu bg sr hr sl "
    "az kk uz ka hy be sw lt lv et sq mk bn ta ps ku tl af".split()
)
_LANG_RE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")
# Latin letters (basic, Latin-1, Extended-A/B); any other letter is of another script.
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_LATIN_LETTER_RE = re.compile(f"[{_LATIN}]")
_OTHER_LETTER_RE = re.compile(f"[^\\W\\d_{_LATIN}]")
_LATIN_WORD_RE = re.compile(f"[{_LATIN}][\\w'’-]*")
# Letters that only one language of a script uses, and the languages of that script the model may confuse.
_CYRILLIC = frozenset({"ru", "uk", "bg", "be", "mk", "sr", "kk", "ky", "mn", "tt"})
_RUSSIAN_ONLY = frozenset("ыэъё")
_UKRAINIAN_ONLY = frozenset("їєґі")
_ARABIC_SCRIPT = frozenset({"ar", "fa", "ur", "ps", "ku", "ckb", "uzs", "azb", "sd", "ug"})
_PERSIAN_ONLY = frozenset("پچژگکی")  # kāf and yē here are the Persian letters, not the Arabic ones
_ARABIC_ONLY = frozenset("ةيكى")


def _decompressed_model(model: Path) -> Path | None:
    """The model file decompressed into the cache directory (``crawler.cache``), written there on first use; None
    when there is no cache (the model is then decompressed in memory, as py3langid does).

    Decompressing the 4.5 MB LZMA file costs 0.6 s of CPU at the start of every crawl; the 68 MB it holds are
    mapped from the cache in 0.01 s (``_load_decompressed``). The name carries the model file's size and time, so a
    new py3langid release writes a new file (and the old one is removed)."""

    def decompress(file: IO[bytes]) -> None:
        with lzma.open(model) as source:
            shutil.copyfileobj(source, file, length=1 << 20)

    stat = model.stat()
    return cached_file(
        f"py3langid-model-{stat.st_size}-{stat.st_mtime_ns}.npz", decompress, stale="py3langid-model-*.npz"
    )


def _stored_arrays(model: mmap.mmap, path: Path) -> dict[str, tuple[np.dtype[Any], tuple[int, ...], int]]:
    """Where each array of an uncompressed .npz lies in ``model`` (the file, mapped): its dtype, shape and offset.
    Raises ValueError when the file is not such an .npz with the model's arrays."""
    import numpy as np  # noqa: PLC0415
    from numpy.lib import format as npy  # noqa: PLC0415

    found = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if name not in _MODEL_ARRAYS:
                continue
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"{info.filename} is compressed")
            header = info.header_offset  # a local file header: 30 bytes, then the file's name and an extra field
            start = (header + 30 + int.from_bytes(model[header + 26 : header + 28], "little")
                     + int.from_bytes(model[header + 28 : header + 30], "little"))
            stream = io.BytesIO(model[start : start + min(info.file_size, 65536)])
            version = npy.read_magic(stream)
            read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
            shape, fortran_order, dtype = read_header(stream)
            offset = start + stream.tell()
            if fortran_order or dtype.hasobject or offset + int(np.prod(shape)) * dtype.itemsize > len(model):
                raise ValueError(f"{info.filename} is not a plain array inside the file")
            found[name] = (dtype, shape, offset)
    missing = [name for name in _MODEL_ARRAYS if name not in found]
    if missing:
        raise ValueError(f"no {', '.join(missing)} in the model file")
    return found


def _load_decompressed(path: Path) -> LanguageIdentifier:
    """What ``LanguageIdentifier.from_model_file`` builds, over the decompressed model file mapped into memory.

    Read into memory, its 68 MB took 0.1-0.2 s of CPU at each crawl's start, and for a moment twice as much memory
    (its two big arrays were copied into the stdlib arrays that py3langid's reader indexes fast). Mapped, nothing
    is read or copied: the operating system pages in the parts that a crawl's languages touch (~36 MB for English
    articles), pages it shares between the processes of a machine and may drop under memory pressure. The cache
    file is never changed in place (``cached_file`` renames a new one over it), so the mapping stays valid."""
    import numpy as np  # noqa: PLC0415
    from py3langid.langid import LanguageIdentifier  # noqa: PLC0415

    with path.open("rb") as file:
        model = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    arrays = _stored_arrays(model, path)

    def read(name: str) -> Any:
        dtype, shape, offset = arrays[name]
        return np.frombuffer(model, dtype=dtype, count=int(np.prod(shape)), offset=offset).reshape(shape)

    def indexed(name: str) -> memoryview:
        """An array of unsigned integers as a memoryview, which is indexed per item as fast as a stdlib array."""
        dtype, shape, offset = arrays[name]
        if dtype.kind != "u" or dtype.itemsize not in _ARRAY_TYPECODES or len(shape) != 1:
            raise ValueError(f"{name} is not an array of unsigned integers")
        return memoryview(model)[offset : offset + shape[0] * dtype.itemsize].cast(_ARRAY_TYPECODES[dtype.itemsize])

    return LanguageIdentifier(
        read("ptc"), read("pc"), read("classes").tolist(), indexed("nextmove"), read("out_feat").tolist(),
        norm_probs=True, tk_row=indexed("nextmove_row"),
    )


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier  # noqa: PLC0415 - numpy and the model

    decompressed = _decompressed_model(MODEL_DIR / MODEL_FILE)
    if decompressed is not None:
        try:
            return _load_decompressed(decompressed)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # a damaged cache file
            discard(decompressed, exc)
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def declared_language(value: str) -> str:
    """'en-US' / 'ru_RU' / 'fa' -> ISO 639-1, '' when it is not a language code."""
    match = _LANG_RE.match(value.strip())
    code = match.group(1).lower() if match else ""
    return code if len(code) == 2 else ""


def main_script_text(text: str) -> str:
    """The text without its Latin words when most of its letters are in another script ('WhatsApp и Telegram'
    -> 'и'), so that brand names do not decide the language of a Russian or Persian sentence."""
    # Letters of another script are never ASCII: an ASCII text (str.isascii is a flag test) is returned without a
    # regex run, and the Latin letters are only counted when there are other letters to weigh them against.
    if text.isascii():
        return text
    other = len(_OTHER_LETTER_RE.findall(text))
    if not other:
        return text
    latin = len(_LATIN_LETTER_RE.findall(text))
    if not latin or other <= latin:
        return text
    return " ".join(_LATIN_WORD_RE.sub(" ", text).split())


def _by_letters(lang: str, text: str) -> str:
    """Settle a guess between neighbours of one script by the letters only one of them has."""
    letters = set(text.casefold())
    if lang in _CYRILLIC:
        if letters & _RUSSIAN_ONLY and not letters & _UKRAINIAN_ONLY:
            return "ru"
        if letters & (_UKRAINIAN_ONLY - {"і"}) and not letters & _RUSSIAN_ONLY:
            return "uk"
    if lang in _ARABIC_SCRIPT:
        if letters & {"پ", "چ", "ژ", "گ"} and not letters & {"ة"}:
            return "fa"
        if letters & _ARABIC_ONLY and not letters & _PERSIAN_ONLY:
            return "ar"
    return lang


def guess(text: str) -> tuple[str, float]:
    """py3langid's language of ``text`` and its probability, with the script rules applied."""
    sample = main_script_text(text[:SAMPLE_CHARS])
    identifier = _identifier()
    lang, probability = identifier.classify(sample)
    if probability < MIN_CONFIDENCE and len(text) > SAMPLE_CHARS:  # unsure: read further
        sample = main_script_text(text[:LONG_SAMPLE_CHARS])
        lang, probability = identifier.classify(sample)
    lang = str(lang)
    if probability < MIN_CONFIDENCE and lang not in COMMON:
        lang = next((str(code) for code, _ in identifier.rank(sample) if code in COMMON), lang)
    return _by_letters(lang, sample), float(probability)


def identify(text: str, declared: str = "", hint: str = "") -> str:
    """ISO 639-1 code of ``text``; on short or uncertain text the page's ``declared`` language, then ``hint``."""
    fallback = declared_language(declared) or declared_language(hint)
    if not text.strip():
        return fallback
    lang, probability = guess(text)
    if fallback and lang != fallback:
        letters = sum(c.isalpha() for c in text[:400])
        if letters < MIN_LETTERS or probability < MIN_CONFIDENCE:
            return fallback
    return lang
