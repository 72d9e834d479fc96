"""English words: a question word that is one is left as the reader wrote it, one that is not may be misspelt.

Spelling correction maps a word the corpus does not use to a corpus word one or two edits away. For a real word
that changes the question ("cause" → "case", "life" → "line", "cost" → "most") and gives a confident wrong answer,
so only words that are not English words are corrected. A word is English when pyspellchecker's English frequency
dictionary holds it (words from subtitles, kept only when a word list confirms them: common misspellings such as
"recieve" are not in it), or when it is common in wordfreq's English data (web, books, subtitles), which also
knows words newer than dictionaries ("wifi").
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources

from wordfreq import zipf_frequency

COMMON_ZIPF = 3.5  # wordfreq's log10 of a word's frequency per billion words: 3.5 is about once per 300,000 words


@cache
def dictionary_words() -> frozenset[str]:
    data = resources.files("spellchecker").joinpath("resources", "en.json.gz").read_bytes()
    return frozenset(json.loads(gzip.decompress(data)))


def is_english_word(word: str) -> bool:
    word = word.lower()
    return word in dictionary_words() or zipf_frequency(word, "en") >= COMMON_ZIPF


def load() -> None:
    """Read both word lists now rather than on the first question that needs them: a gunicorn master does, before it
    forks, so that its workers share them (about 55 MiB) instead of each reading its own."""
    dictionary_words()
    zipf_frequency("the", "en")
