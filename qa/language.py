"""Whether a question is in the documents' language: a note for a decline when it is not."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from qa.lexical import Lexicon, terms

SURE = 0.5  # the language-id probability a language needs, the question's and the passages'
KNOWN = 0.5  # a question whose terms the index mostly knows is not in another language
PASSAGE_CHARS = 2000  # how much of the retrieved passages tells the documents' language
# the names of the languages most documents are written in; another is "the documents' language"
NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish",
    "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian",
    "fa": "Persian", "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "nl": "Dutch", "no": "Norwegian",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak",
    "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish", "th": "Thai", "tr": "Turkish",
    "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip


@functools.cache
def _identifier() -> Any:
    """py3langid's language identifier, from the model file it ships, loaded once."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str) -> tuple[str, float]:
    """The language of text (an ISO 639 code) and how sure the identifier is, 0 to 1."""
    language, probability = _identifier().classify(text)
    return str(language), float(probability)


def language_notes(question: str, passages: Sequence[str], lexicon: Lexicon) -> tuple[str, ...]:
    """A note for a declined question when it is not in the language of the passages found
    for it (the documents'): one whose terms the index mostly does not know, and that the
    language identifier places, surely, in another language than the passages."""
    asked = terms(question)
    if not passages or not asked:
        return ()
    if sum(lexicon.knows(term) for term in asked) >= KNOWN * len(asked):
        return ()
    language, sure = identify(question)
    documents, documents_sure = identify(" ".join(dict.fromkeys(passages))[:PASSAGE_CHARS])
    if language == documents or min(sure, documents_sure) < SURE:
        return ()
    name = NAMES.get(documents)
    if name is None:
        return ("This question does not seem to be in the documents' language: questions work "
                "best in it.",)  # fmt: skip
    return (f"This question does not seem to be in {name}, the documents' language: questions "
            f"work best in {name}.",)  # fmt: skip
