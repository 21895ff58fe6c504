"""Whether the retrieved passages answer a question: the named features the answers judge reads."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import numpy as np

from qa.lexical import stem, words
from qa.reading.features import SUPPORT_FEATURES
from qa.reading.question import _asked_kind, asks_for_name, name_words

if TYPE_CHECKING:
    from qa.ranking import Ranking

ANSWER_FEATURES = (
    "cross_best",  # the cross-encoder's logit that the best sentence answers
    "cross_top",  # its best logit among the sentences it read
    "top_dense",  # the best cosine of the question with any retrieved sentence
    "top_window",  # ... with any sentence read with the one before it
    "joint_soft",  # soft coverage of the question by all retrieved passages together
    "joint_worst",  # the least-matched question word there
    "joint_focus",  # how well what the question asks about is matched anywhere retrieved
    "unknown_soft",  # weighted share of question words the corpus lacks and nothing matches
    "asks_name",  # a who/where/which-noun question
    "asks_kind",  # a when/how many/how long question
    "name_unknown",  # a name or number of the question is nowhere in the documents
    "no_type_context",  # the best passage holds nothing of the kind asked for (a date, a name)
    "kind_missing",  # no passage read holds the kind of answer asked (of a kind that decides)
)


_ADJECTIVE = ("an", "ese", "ish", "ern", "ic")


def folded(word: str) -> str:
    """A word without its accents: "Möngke" is found for "Mongke"."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def unknown_names(ranking: Ranking, joint: str) -> list[str]:
    """The question's name and number words that the documents never use, nor a retrieved
    word spelt like them (accents aside, or "French" for "France")."""
    retrieved = {folded(w) for w in words(joint)}
    out = []
    for word in name_words(ranking.question):
        term = stem(word)
        if term.endswith(_ADJECTIVE):
            continue  # "Americans", "Western": an adjective may stand for a name the text uses
        if ranking.bm25.knows(term) or ranking.bm25.knows(word):
            continue
        if folded(word) in retrieved or ranking.matcher.aliased(term):
            continue
        out.append(word)
    return out


def answer_features(ranking: Ranking, close: float = 0.6) -> dict[str, float]:
    """The support features of the best sentence, by name, and what the whole retrieval says."""
    features = dict(zip(SUPPORT_FEATURES, ranking.support_features(), strict=True))
    question, matcher = ranking.question, ranking.matcher
    ranked = ranking.ranked
    joint = " ".join(dict.fromkeys(c.context for c in ranked))
    soft, worst = matcher.coverage(joint)
    if matcher.terms:
        match = matcher.matches(joint)
        weights = np.array([matcher.asked[t] for t in matcher.terms])
        lost = np.array(
            [
                not ranking.bm25.knows(t) and m < close
                for t, m in zip(matcher.terms, match, strict=True)
            ]
        )
        unknown = float(weights @ lost / weights.sum()) if weights.sum() else 0.0
    else:
        unknown = 0.0
    judged = [c.cross for c in ranked if c.cross is not None]
    features.update(
        cross_best=ranked[0].cross if ranked[0].cross is not None else min(judged, default=0.0),
        cross_top=max(judged, default=0.0),
        top_dense=max(c.feature("dense") for c in ranked),
        top_window=max(c.feature("dense_window") for c in ranked),
        joint_soft=soft,
        joint_worst=worst,
        joint_focus=matcher.focus(question, joint),
        unknown_soft=unknown,
        asks_name=float(asks_for_name(question)),
        asks_kind=float(_asked_kind(question) is not None),
        name_unknown=float(bool(unknown_names(ranking, joint))),
        no_type_context=1.0 - features["type_context"],
        kind_missing=float(ranking.kind_missing()),
    )
    return features
