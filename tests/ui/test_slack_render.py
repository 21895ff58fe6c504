"""Slack messages show what the chat page shows: the search, flagged claims, notes, citations."""

from __future__ import annotations

from qa import Answer, Citation
from ui.slack_render import answer_message


def texts(message: dict) -> list[str]:  # type: ignore[type-arg]
    out = []
    for block in message["blocks"]:
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out.extend(element["text"] for element in block["elements"])
    return out


def test_a_rewritten_follow_up_an_unsupported_sentence_and_a_note_are_all_shown() -> None:
    text = "Putin called Macron and Scholz [1]. Both leaders flew to Moscow <at once>."
    unsupported_start = text.index("Both")
    answer = Answer(
        text=text,
        citations=(Citation(1, "Putin told Macron and Scholz.", "article.txt", 10, 40, 0.9),),
        question="Whom did he call?",
        search_query="Whom did Putin call?",
        backend="openai:m",
        notes=("1 sentence no passage supports is flagged",),
        unsupported=((unsupported_start, len(text)),),
    )
    shown = texts(answer_message(answer))
    assert shown[0] == "Searched for: _Whom did Putin call?_"
    assert shown[1] == (
        "Putin called Macron and Scholz [1]. "
        "~Both leaders flew to Moscow &lt;at once&gt;.~ :warning: _unsupported_"
    )
    assert shown[2] == ":information_source: 1 sentence no passage supports is flagged"
    assert shown[3] == ">Putin told Macron and Scholz."
    assert shown[4] == "[1] *article.txt*, characters 10–40"


def test_a_plain_answer_has_no_search_line_or_flags() -> None:
    answer = Answer("Macron and Scholz [1].", question="Who?", search_query="Who?")
    assert texts(answer_message(answer)) == ["Macron and Scholz [1]."]
