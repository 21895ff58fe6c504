"""Terms: the stemmed content words that the lexical index counts, at indexing and asking."""

from __future__ import annotations

import functools

from index.words import STOPWORDS, words


@functools.lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match plurals, tenses and possessives."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (
        ("ational", "ate"),
        ("ization", "ize"),
        ("isation", "ize"),
        ("ising", "ize"),
        ("izing", "ize"),
        ("ised", "ize"),
        ("ized", "ize"),
        ("ies", "y"),
        ("ied", "y"),
        ("ness", ""),
        ("ments", "ment"),
        ("ings", ""),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes", "zes")):
                return word[:-1]
            return word[: len(word) - len(suffix)] + keep
    return word


def terms(text: str) -> list[str]:
    """Stemmed content words of text, in order, stopwords removed."""
    return list(text_terms(text))


# the same candidate sentences come back question after question
@functools.lru_cache(maxsize=1 << 15)
def text_terms(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text) if w not in STOPWORDS)
