"""The features of a candidate sentence, and of the best one for the decline model."""

from __future__ import annotations

from qa.candidates import FEATURES, Candidate, neighbourhood, window
from qa.lexical import Lexicon, terms
from qa.reading.evidence import (
    answer_type_ok,
    coverage,
    focus_unknown,
    list_missing,
    name_swapped,
    named_focus,
    names_missing,
    negation_missing,
    no_new_name,
    number_missing,
    opposite_word,
    rare_missing,
    terms_unknown,
    unknown_names,
)
from qa.reading.question import key_terms
from qa.reading.soft_match import WordMatch

# FEATURES is defined beside Candidate, whose feature() reads it
__all__ = ["FEATURES", "SUPPORT_FEATURES", "sentence_features", "support_features"]


SUPPORT_FEATURES = (
    "score",  # the best sentence's score
    "dense",
    "lexical",
    "context",
    "type_ok",
    "unknown",  # share of the question's names and numbers found nowhere in the corpus
    "missing",  # weighted share of the question's terms absent from the best chunk
    "margin",  # best score minus the runner-up's
    "soft_context",  # soft coverage of the question by the best sentence's chunk
    "worst",  # how well the least-covered question word is matched in that chunk
    "focus",  # how well what the question asks about ("population") is matched there
    "type_context",  # that chunk holds the kind of thing the question asks for
    "names_missing",  # share of the question's names and numbers absent from the best sentence
    "terms_unknown",  # weighted share of the question's words found nowhere in the corpus
    "focus_unknown",  # what the question asks about ("GDP") is found nowhere in the corpus
    "rare_missing",  # the rarest question word absent from the best sentence and its neighbours
    "type_near",  # the best sentence or a neighbour holds what the question asks for
    "soft_near",  # soft coverage of the question by the best sentence and its neighbours
    "list_missing",  # the best sentence lacks the list of names the question asks for
    "no_new_name",  # the best sentence names nothing the question does not
    "negation_missing",  # the question says "not", "never", "least"; the best passage does not
    "names_missing_near",  # share of the question's names absent from the best neighbourhood
    "contradiction",  # the best passage says the opposite ("directly" for "indirectly", "west"
    # for "east") or lacks the question's number ("1979")
    "name_swapped",  # a name of the question is missing and another name stands in its place
)


def sentence_features(
    question: str,
    cand: Candidate,
    dense: float,
    dense_window: float,
    repeated: bool,
    asked: dict[str, float],
    matcher: WordMatch,
    context_soft: float,
) -> tuple[float, ...]:
    """The FEATURES of one candidate sentence."""
    sentence_terms = set(terms(cand.text))
    return (
        dense,
        coverage(asked, sentence_terms),
        coverage(asked, set(terms(cand.context))),
        1.0 / (1 + cand.rank),
        answer_type_ok(question, cand.text),
        float(repeated),
        float(bool(sentence_terms - set(asked))),
        float(len(cand.text) < 40),
        matcher.coverage(cand.text)[0],
        context_soft,
        dense_window,
        named_focus(question, cand.text),
        answer_type_ok(question, neighbourhood(cand)),
        list_missing(question, cand.text),
        no_new_name(question, cand.text),
    )


def support_features(
    ranked: list[Candidate], question: str, bm25: Lexicon, matcher: WordMatch
) -> tuple[float, ...]:
    """What the decline model looks at: how well the best sentence matches the question."""
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else best.score - 1.0
    asked = key_terms(question, bm25)
    context_terms = set(terms(best.context))
    soft, worst = matcher.coverage(best.context)
    near = neighbourhood(best)
    return (
        best.score,
        best.feature("dense"),
        best.feature("lexical"),
        best.feature("context"),
        best.feature("type_ok"),
        unknown_names(question, bm25),
        1.0 - coverage(asked, context_terms),
        best.score - runner_up,
        soft,
        worst,
        matcher.focus(question, best.context),
        answer_type_ok(question, best.context),
        names_missing(question, window(best)),
        terms_unknown(question, bm25),
        focus_unknown(question, bm25),
        rare_missing(question, near, bm25),
        answer_type_ok(question, near),
        matcher.coverage(near)[0],
        best.feature("list_missing"),
        best.feature("no_new_name"),
        negation_missing(question, near),
        names_missing(question, near),
        max(opposite_word(question, window(best)), number_missing(question, near)),
        name_swapped(question, window(best)),
    )
