"""The one BM25 analyzer, used for chunks and queries alike (lowercase, words, stopwords, stem).

It matches `bm25s.tokenize(..., stopwords="en", stemmer=Stemmer("english"))`, the setting the
shared data README measured at nDCG@10 0.686 on SciFact, but without building a vocabulary per
call, so a query costs microseconds.

Chinese, Japanese and Korean are written without spaces between words, so a run of their
characters is not one term (which only a query of the whole run would match) but its overlapping
character bigrams, a lone character as itself: "退货政策是" -> 退货 货政 政策 策是, and the query
"退货政策" matches by its bigrams. Text without those scripts is analysed exactly as before.
"""

from __future__ import annotations

import re

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

#: Recorded in each index's manifest: an index analysed otherwise is rebuilt by the next ingest
#: and flagged in searches until then. Change it with any change to what `analyze` returns.
ANALYZER = "bm25s-lucene-en-stop-snowball-cjk-bigram-v2"

_CJK = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3005-\u3007"  # 々 〆 〇
    "\u3041-\u309f"  # Hiragana
    "\u30a1-\u30fa\u30fc-\u30ff"  # Katakana, not the ・ between words
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # Han
    "\ua960-\ua97f\uac00-\ud7ff"  # Hangul syllables and Jamo extensions
    "\uff66-\uff9f"  # halfwidth Katakana
)
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(r"\w+")  # a word of one character is dropped (bm25s: \b\w\w+\b), unless CJK
_STOP = frozenset(STOPWORDS_EN)
_stemmer = Stemmer.Stemmer("english")


_CACHE_LIMIT = 1_000_000
_stems: dict[str, str] = {}  # word -> stem ("" for a stopword): words repeat far more than they vary


def analyze(text: str) -> list[str]:
    """Stemmed index terms of `text`."""
    if len(_stems) > _CACHE_LIMIT:
        _stems.clear()
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        stem = _stems.get(word)
        if stem is None:
            if not word.isascii() and _CJK_RUN.search(word):
                out += _cjk_terms(word)  # not cached: a CJK run is often a whole sentence
                continue
            stem = _stems[word] = _stem(word)
        if stem:
            out.append(stem)
    return out


def _stem(word: str) -> str:
    """The stem of a word without CJK ("" for a stopword or a single character)."""
    return "" if len(word) < 2 or word in _STOP else _stemmer.stemWord(word)


def _cjk_terms(word: str) -> list[str]:
    """A word with CJK characters: its other parts stemmed, each CJK run as character bigrams."""
    terms: list[str] = []
    pos = 0
    for run in _CJK_RUN.finditer(word):
        terms.append(_stem(word[pos : run.start()]))
        chars = run.group()
        terms += [chars] if len(chars) == 1 else [chars[i : i + 2] for i in range(len(chars) - 1)]
        pos = run.end()
    terms.append(_stem(word[pos:]))
    return [t for t in terms if t]
