"""How a turn uses the conversation: standalone, a follow-up and its readings, or a continuation.

Text only: this module reads the question and the earlier turns and proposes readings; which
reading is kept is decided by the answers judge (see qa.turns).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answer import strip_markers
from qa.lexical import STOPWORDS, terms, words

History = Sequence[tuple[str, str]]

STANDALONE, FOLLOW_UP, CONTINUATION = "standalone", "follow_up", "continuation"
DECLINED = "The documents don't say"  # how every decline opens (see qa.extractive)

# words that ask for more of the same and nothing else: "tell me more", "what else?", "go on"
_MORE = frozenset(
    "tell more else go on continue continued keep going further please anything other and "
    "elaborate expand detail details that's ok okay".split()
)
_NEW = re.compile(r"\b(else|other|another|more|besides)\b", re.IGNORECASE)
_PERSON = {"he", "him", "his", "she", "her", "hers"}
_PLURAL = {"they", "them", "their", "theirs"}
_THING = {"it", "its", "this", "that", "these", "those", "there", "then", "so"}
_POSSESSIVE = {"his", "her", "hers", "their", "theirs", "its"}
_POINTER = re.compile(
    r"\b(he|she|they|it|him|her|them|his|hers|their|theirs|its|this|that|these|those|there|"
    r"then|so)\b(?!\s*(?:many|much|far|long)\b)",
    re.IGNORECASE,
)
_WH = re.compile(
    r"^\s*(?:(?:in|on|at|for|from|by|to|of|with|since|until|during)\s+)?"
    r"(?:what|which|who|whom|whose|when|where|why|how)\b",
    re.IGNORECASE,
)
_AUXILIARY = re.compile(
    r"\b(?:did|does|do|is|was|are|were|has|have|had|will|would|can|could|should|may|might)\b",
    re.IGNORECASE,
)
_ELIDED = re.compile(
    r"^\s*(?:and|but|what about|how about|and what about|and how about|also)\s+(.{1,80}?)"
    r"\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_WH_FRAGMENT = re.compile(
    r"^\s*(?:(?:in|on|at|for|from|by|to|of|with|since|until|during)\s+)?"
    r"(?:what|which|who|whom|whose|when|where|why|how)(?:\s+(?:many|much|long|old))?"
    r"(?:\s+[\w'’-]+)?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# dates are no referents: "he" after "... on Monday" is not Monday
_DATE = re.compile(
    r"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february|march|april|may|june|"
    r"july|august|september|october|november|december)$",
    re.IGNORECASE,
)
# a noun phrase a later pronoun can point at: "the projectile", "what cells"
_NOUN_PHRASE = re.compile(
    r"\b(?:the|a|an|these|those|what|which|whose)\s+(?!(?:is|was|are|were|did|does|do|has|have|"
    r"had|will|would|can|could|should|may|might)\b)[a-z][\w'’-]+",
    re.IGNORECASE,
)
_THE = re.compile(r"\bthe\s+([a-z][\w-]+)\b")
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|de\s+|von\s+)?[A-Z][\w'’-]*)*")
_DANGLING_AFTER = 3  # a question with this many content terms or fewer may lean on the last turn


@dataclass(frozen=True)
class Turn:
    """A question read with the conversation: its kind and the readings worth trying.

    ``readings`` holds the question itself first, then the standalone questions it may stand
    for; a standalone turn has only itself. ``topic`` is, for a continuation, the earlier
    question whose subject it continues (empty when there is none to continue).
    """

    question: str
    kind: str
    readings: tuple[str, ...]
    topic: str = ""
    topic_answer: str = ""
    wants_new: bool = False  # "What else did they say?": not what was already quoted
    points_back: bool = False  # a pronoun or an elided frame, not only a short question


def normalise_history(history: object) -> list[tuple[str, str]]:
    """Accept [(q, a), ...] or [[q, a], ...] (as JSON gives) and drop empty turns."""
    pairs: list[tuple[str, str]] = []
    if not history:
        return pairs
    if not isinstance(history, list | tuple):
        raise TypeError("history must be a list of (question, answer) pairs")
    for turn in history:
        if not isinstance(turn, list | tuple) or len(turn) != 2:
            raise TypeError("history must be a list of (question, answer) pairs")
        question, answer = (str(part or "") for part in turn)
        if question.strip():
            pairs.append((question, answer))
    return pairs


def read_turn(question: str, history: History) -> Turn:
    """The kind of turn and its readings; see Turn."""
    if not history:
        return Turn(question, STANDALONE, (question,))
    if is_continuation(question):
        topic, answer = _topic_turn(history)
        return Turn(question, CONTINUATION, (question,), topic, answer)
    if not leans_on_conversation(question):
        return Turn(question, STANDALONE, (question,))
    last_question = resolved_question(history)
    last_answer = strip_markers(history[-1][1])
    readings = [question, *_readings(question, last_question, last_answer)]
    return Turn(
        question,
        FOLLOW_UP,
        tuple(dict.fromkeys(r for r in readings if r.strip())),
        wants_new=bool(_NEW.search(question)),
        points_back=bool(_dangling(question) or _ELIDED.match(question)),
    )


def is_continuation(question: str) -> bool:
    """The question asks for more and names nothing: "Tell me more.", "What else?", "Go on"."""
    said = words(question)
    return (
        bool(said)
        and all(w in _MORE or w in STOPWORDS for w in said)
        and not (_WH.match(question) and not {"else", "more"} & set(said))
    )


def leans_on_conversation(question: str) -> bool:
    """A pronoun with nothing before it to point at, an elided frame ("And Germany?"), or
    too few words to stand alone ("When?", "Which regions?")."""
    return bool(
        _dangling(question)
        or _ELIDED.match(question)
        or len(terms(question)) + len(_names(question)) <= _DANGLING_AFTER - 1
    )


def resolved_question(history: History) -> str:
    """The last question as it was read: a follow-up by its first resolved reading."""
    earlier = history[:-1]
    question, answer = history[-1]
    if not earlier:
        return question
    turn = read_turn(question, earlier)
    if turn.kind == CONTINUATION:
        return turn.topic or question
    if len(turn.readings) == 1:
        return question
    # the reading its answer bears out most: the one sharing the most words with it
    said = set(terms(answer))
    readings = turn.readings[1:] if turn.points_back else turn.readings
    return max(readings, key=lambda r: len(said & set(terms(r))))


def _topic_turn(history: History) -> tuple[str, str]:
    """The question and answer a continuation continues: the last turn that was answered."""
    for at in range(len(history) - 1, -1, -1):
        answer = history[at][1]
        if answer.strip() and not answer.startswith(DECLINED):
            if at < len(history) - 1:
                return "", ""  # the last turn was declined: nothing to go on with
            return resolved_question(history[: at + 1]), strip_markers(answer)
    return "", ""


def _readings(question: str, last_question: str, last_answer: str) -> list[str]:
    """The standalone questions a follow-up may stand for, most specific first."""
    out: list[str] = []
    elided = _ELIDED.match(question)
    if elided:
        out += _reframed(elided.group(1), last_question)
    if _is_wh_fragment(question):
        out.append(_rephrased(question, last_question))
    if _dangling(question):
        answer_names = _names(last_answer, exclude=question + " " + last_question)
        question_names = _names(last_question, exclude=question)
        things = _things(last_question, question) + _things(last_answer, question)
        both = [*question_names, *answer_names] if question_names and answer_names else []
        for names in (answer_names, question_names, both, things):
            if names:
                out.append(_substituted(question, names))
    topic = _topic(last_question, question) or _names(last_answer, exclude=question)
    if topic:
        out.append(f"{question.rstrip(' ?.!')} ({', '.join(topic[:3])})?")
    return out


def _dangling(question: str) -> list[re.Match[str]]:
    """The pronouns of a question with no name before them to point at."""
    out = []
    for match in _POINTER.finditer(question):
        word = match.group(1).lower()
        before = question[: match.start()]
        if word in {"that", "so"} and not re.search(r"\b(did|does|do|said|say|says)\s*$", before):
            continue  # "that" opening a clause, "so" as "so many": not a pointer
        if _names(before) or _NOUN_PHRASE.search(before):
            continue  # "Does Russia admit it ...", "What cells are at their lowest": bound
        out.append(match)
    return out


def _names(text: str, exclude: str = "") -> list[str]:
    """Capitalised names in text, bar words that only open a sentence ("Tens of") and those
    exclude already holds."""
    text = strip_markers(text)
    names: list[str] = []
    for match in _NAME.finditer(text):
        name = match.group(0)
        opening = (
            not text[: match.start()].strip() or text[: match.start()].rstrip()[-1] in '.!?:“"—'
        )
        if opening and " " not in name:
            continue
        if opening:  # "The Kremlin": drop the opening word when it is a stop word
            head, _, rest = name.partition(" ")
            if head.lower() in STOPWORDS:
                name = rest
        name = re.sub(r"['’]s$", "", name)
        if name.lower() in STOPWORDS or len(name) <= 2 or name.lower() in exclude.lower():
            continue
        if _DATE.match(name):
            continue
        if name not in names:
            names.append(name)
    return names[:6]


def _things(text: str, question: str) -> list[str]:
    """The things text names with "the": "the separatists", "the decree"."""
    own = set(terms(question))
    found = [
        match.group(0)
        for match in _THE.finditer(strip_markers(text))
        if match.group(1).lower() not in STOPWORDS and not set(terms(match.group(1))) & own
    ]
    return list(dict.fromkeys(found))[:2]


def _substituted(question: str, names: list[str]) -> str:
    """The question with each dangling pronoun replaced by the names it may point at."""
    group = " and ".join(names[:2])
    parts, at = [], 0
    people: dict[str, str] = {}
    for match in _dangling(question):
        word = match.group(1).lower()
        if word in {"there", "then", "so"}:
            continue  # no name stands in for these: the topic reading carries them
        if word in _PERSON or word in _THING:  # "How did he tell him?": two people
            key = "it" if word in _THING else {"his": "he", "hers": "her"}.get(word, word)
            referent = people.setdefault(key, names[min(len(people), len(names) - 1)])
        else:
            referent = group
        if word in _POSSESSIVE:
            referent += "'s"
        parts += [question[at : match.start()], referent]
        at = match.end()
    parts.append(question[at:])
    return "".join(parts)


def _is_wh_fragment(question: str) -> bool:
    """A question that is only a question word and its noun: "When?", "For whom?",
    "Which regions?", "On which day?"."""
    return bool(_WH_FRAGMENT.match(question))


def _frame(question: str) -> tuple[str, str]:
    """A question split into its question-word phrase and the rest: ("Which leaders",
    "did Putin call?"); ("", question) when it does not open with a question word."""
    if not _WH.match(question):
        return "", question
    aux = _AUXILIARY.search(question)
    if aux is None:
        wh = _WH.match(question)
        assert wh is not None
        return question[: wh.end()], question[wh.end() :].lstrip()
    return question[: aux.start()].rstrip(), question[aux.start() :]


def _rephrased(fragment: str, last_question: str) -> str:
    """ "When?" after "What did Putin intend to sign?": "When did Putin intend to sign?"."""
    _wh, rest = _frame(last_question)
    return f"{fragment.strip().rstrip('?.! ')} {rest}"


def _reframed(entity: str, last_question: str) -> list[str]:
    """ "And Germany?" after "Which French leader did Putin call?": the last question with
    each of its names in turn swapped for the new one, or asked about it when it has none."""
    entity = entity.strip()
    names = _names(last_question)
    wh, _rest = _frame(last_question)
    asked = [f"{wh} {entity}?"] if wh else []
    if re.search(r"\b[A-Z]", entity) and names:
        swapped = [re.sub(rf"\b{re.escape(n)}\b", entity, last_question, count=1) for n in names]
        return [*swapped, *asked]
    return [f"{last_question.rstrip(' ?.!')} about {entity}?", *asked]


def _topic(last_question: str, question: str) -> list[str]:
    """What the last question was about: its names, else its content words."""
    names = _names(last_question, exclude=question)
    if names:
        return names
    own = set(terms(question))
    _wh, rest = _frame(last_question)
    return [w for w in re.findall(r"[\w'’-]+", rest) if terms(w) and terms(w)[0] not in own][:4]
