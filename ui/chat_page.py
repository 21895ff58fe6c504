"""The Gradio chat page: streamed answers with [n] markers, cited passages, a documents panel."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qa import Answer, Assistant, QAError, QuestionError
from ui.sources import EMPTY, SourceTexts, citation_id, render_error, render_sources
from ui.style import count_script

if TYPE_CHECKING:
    import gradio as gr

    from ui.limits import RateLimit

log = logging.getLogger(__name__)

CHAT_CONCURRENCY = 8
QUEUE_SIZE = 256
EXAMPLES = (
    "Which leaders did Putin call?",
    "What did Putin accuse the U.S. of?",
    "What did Macron get Putin and Biden to agree to?",
)
_MARKER = re.compile(r"\[(\d+)\]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&$])")


@dataclass
class Conversation:
    """One browser session's chat: what is shown, and the pairs the assistant sees."""

    messages: list[dict[str, str]] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)


def plain(text: str) -> str:
    """Text shown literally by the chat's Markdown renderer (no markup, no HTML)."""
    return _MARKDOWN.sub(r"\\\1", text)


def format_answer(answer: Answer, turn: int = 0) -> str:
    """An answer as chat Markdown: verbatim text, each [n] marker a link to its passage card
    (under the answer of the conversation's ``turn``); a decline in italics."""
    if not answer.answered:
        return f"🔎 *{plain(answer.text)}*"
    out, at = [], 0
    for start, end in answer.unsupported:  # sentences no passage supports, flagged
        out.append(_marked(answer.text[at:start], turn))
        out.append(f"~~{plain(answer.text[start:end])}~~ ⚠️ *unsupported*")
        at = end
    out.append(_marked(answer.text[at:], turn))
    return "".join(out)


def _marked(text: str, turn: int) -> str:
    pieces = _MARKER.split(text)
    return "".join(
        plain(p)
        if i % 2 == 0
        else f'<a class="qa-cite" href="#{citation_id(turn, int(p))}">[{p}]</a>'
        for i, p in enumerate(pieces)
    )


def format_error(message: str) -> str:
    return f"⚠️ **Couldn't answer:** {plain(message)}"


class ChatSession:
    """The page's behaviour, independent of Gradio widgets: one generator per question."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.texts = SourceTexts(assistant.source_text)

    def respond(
        self, question: str, chat: Conversation | None
    ) -> Iterator[tuple[str, list[dict[str, str]], Conversation, str]]:
        """Yield (textbox, chat messages, conversation, sources HTML) as the answer grows."""
        chat = chat or Conversation()
        question = (question or "").strip()
        if not question:
            yield "", chat.messages, chat, EMPTY if not chat.messages else _keep()
            return
        chat.messages.append({"role": "user", "content": plain(question)})
        chat.messages.append({"role": "assistant", "content": "…"})
        turn = len(chat.messages) - 1  # the answer's place: its markers link to its cards
        yield "", chat.messages, chat, '<div class="qa-sources-wait">Searching the documents…</div>'
        try:
            answer = None
            for answer in self.assistant.stream(question, list(chat.pairs)):  # the last is whole
                chat.messages[-1] = {"role": "assistant", "content": format_answer(answer, turn)}
                yield "", chat.messages, chat, _keep()
            if answer is None:
                raise QAError("the assistant returned no answer")
            chat.messages[-1] = {"role": "assistant", "content": format_answer(answer, turn)}
            chat.pairs.append((question, answer.text if answer.answered else ""))
            yield "", chat.messages, chat, render_sources(answer, self.texts, turn)
        except QuestionError as exc:
            chat.messages[-1] = {"role": "assistant", "content": format_error(str(exc))}
            yield question, chat.messages, chat, render_error(str(exc))
        except QAError as exc:
            log.warning("question failed: %s", exc)
            chat.messages[-1] = {"role": "assistant", "content": format_error(str(exc))}
            yield "", chat.messages, chat, render_error(str(exc))
        except Exception as exc:
            log.exception("unexpected error while answering %r", question)
            message = (
                f"something went wrong on the server ({type(exc).__name__}); "
                "the server log has the details. Please try again."
            )
            chat.messages[-1] = {"role": "assistant", "content": format_error(message)}
            yield "", chat.messages, chat, render_error(message)


def _keep() -> Any:
    """Leave a component as it is in this update."""
    import gradio as gr

    return gr.skip()


def build_page(
    assistant: Assistant, examples: Sequence[str] = EXAMPLES, upload_limit: RateLimit | None = None
) -> gr.Blocks:
    """The Blocks app: chat, question box, example buttons, cited passages, the documents
    panel (upload, list, remove), and the `/ask` API."""
    from ui.documents_panel import build_panel
    from ui.offline import quiet

    quiet()
    import gradio as gr

    session = ChatSession(assistant)

    def ask(question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """Answer a question from the documents; history holds earlier [question, answer]
        pairs. Returns the same JSON as `qa ask --json`."""
        try:
            pairs = [(str(q), str(a)) for q, a in history or []]
            return assistant.ask(question, pairs).to_dict()
        except (QAError, TypeError, ValueError) as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="qa: ask the documents") as page:
        gr.Markdown(
            "## Ask the documents\nAnswers quote the documents verbatim; every **\\[n\\]** "
            "links to its passage, shown below the chat.",
            elem_id="qa-intro",
        )
        with gr.Row(elem_id="qa-layout"):
            with gr.Column(scale=3, min_width=420, elem_id="qa-main"):
                chatbot = gr.Chatbot(
                    elem_id="qa-chat",
                    height=300,
                    show_label=False,
                    latex_delimiters=[],
                    feedback_options=None,
                    buttons=["copy"],
                    placeholder="Ask a question about the documents, or pick an example below.",
                )
                chat = gr.State(Conversation())
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        elem_id="qa-question",
                        show_label=False,
                        placeholder="Ask a question…",
                        max_lines=4,
                        max_length=assistant.settings.max_question_chars,
                        scale=8,
                        autofocus=True,
                    )
                    send = gr.Button(
                        "Ask", variant="primary", elem_id="qa-send", scale=1, min_width=80
                    )
                    reset = gr.Button("Clear", elem_id="qa-clear", scale=1, min_width=90)
                buttons = []
                examples_row = None
                if examples:
                    with gr.Row(elem_id="qa-examples") as examples_row:
                        buttons = [
                            gr.Button(text, size="sm", elem_classes="qa-example")
                            for text in examples
                        ]
                sources = gr.HTML(EMPTY, elem_id="qa-sources", js_on_load=None)
            with gr.Column(scale=1, min_width=280, elem_id="qa-documents"):
                wire_documents = build_panel(assistant, examples_row, upload_limit)

        outputs = [box, chatbot, chat, sources]
        box.change(None, inputs=[box], js=count_script(assistant.settings.max_question_chars))
        for trigger in (box.submit, send.click):
            trigger(
                session.respond,
                inputs=[box, chat],
                outputs=outputs,
                api_name="chat",
                api_visibility="undocumented",
            )
        for button in buttons:
            button.click(
                session.respond, inputs=[button, chat], outputs=outputs, api_visibility="private"
            )
        reset.click(
            lambda: ("", [], Conversation(), EMPTY),
            outputs=outputs,
            api_visibility="private",
            queue=False,
        )
        chatbot.clear(lambda: (Conversation(), EMPTY), outputs=[chat, sources], queue=False)
        gr.api(ask, api_name="ask")  # type: ignore[attr-defined]
        wire_documents(page)
    page.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_SIZE)
    return page  # type: ignore[no-any-return]
