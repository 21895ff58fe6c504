"""The chat page in headless Chromium against a real `qa serve`, and its rendering helpers."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from qa import Answer, Citation
from tests.ui.conftest import HEADLINE, HEADLINE_SENTENCE, MAX_QUESTION_CHARS, UNANSWERABLE
from ui.chat_page import format_answer, plain
from ui.sources import paragraph_around, render_sources

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000
RECORD_BOT_TEXT = """() => {
  window.qaSeen = [];
  const chat = document.querySelector('#qa-chat');
  new MutationObserver(() => {
    const bots = chat.querySelectorAll('.message.bot');
    if (bots.length) window.qaSeen.push(bots[bots.length - 1].innerText.trim());
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


# rendering, without a browser


def test_document_text_is_escaped_never_raw_html() -> None:
    text = "Intro.\n\nHe wrote <script>alert(1)</script> & left. Then more.\n\nOutro."
    start = text.index("He wrote")
    end = text.index(" Then")
    citation = Citation(1, text[start:end], "evil<b>.txt", start, end, 0.9)
    answer = Answer(text[start:end] + " [1]", (citation,), True, "<i>q</i>", "<i>q</i>")
    html = render_sources(answer, lambda source: text)
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; left." in html
    assert "<mark>He wrote &lt;script&gt;" in html
    assert "Then more." in html  # the rest of the paragraph, around the highlight


def test_short_paragraphs_are_shown_with_their_neighbours() -> None:
    text = "First paragraph here.\n\nThe quoted line.\n\nLast paragraph here."
    start = text.index("The quoted")
    assert paragraph_around(text, start, start + len("The quoted line.")) == (0, len(text))


def test_answer_markdown_shows_document_text_literally() -> None:
    answer = Answer("Costs *rose* to $5 <b>now</b> [1].", (), True)
    rendered = format_answer(answer, turn=3)
    assert rendered.endswith('<a class="qa-cite" href="#qa-cite-3-1">[1]</a>\\.')
    assert "\\*rose\\*" in rendered and "\\$5" in rendered and "\\<b\\>" in rendered
    assert plain("a_b") == "a\\_b"


def test_a_declined_answer_looks_different_from_an_answer() -> None:
    declined = format_answer(Answer("The documents don't say.", (), False))
    assert declined.startswith("🔎 *") and "[" not in declined


# the page in a real browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server_url)
    page.locator("#qa-question textarea").wait_for()
    yield page
    context.close()


def ask(page: Any, question: str) -> None:
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")


def bot_messages(page: Any) -> Any:
    return page.locator("#qa-chat .message.bot")


def sources_for(page: Any, question: str) -> Any:
    """The sources panel once it shows the finished answer to ``question``."""
    from playwright.sync_api import expect

    title = page.locator("#qa-sources .qa-sources-title")
    expect(title).to_contain_text(question)
    return page.locator("#qa-sources")


pytestmark = pytest.mark.integration


def test_headline_question_streams_an_answer_and_shows_the_cited_passage(page: Any) -> None:
    from playwright.sync_api import expect

    page.evaluate(RECORD_BOT_TEXT)
    ask(page, HEADLINE)
    sources = sources_for(page, HEADLINE)
    answer = bot_messages(page).last
    expect(answer).to_contain_text("Macron")
    expect(answer).to_contain_text("Scholz")
    expect(answer).to_contain_text("[1]")
    citation = sources.locator(".qa-citation").first
    expect(citation).to_be_visible()
    expect(citation.locator(".qa-citation-source")).to_have_text("article.txt")
    expect(citation.locator(".qa-citation-quote")).to_have_text(HEADLINE_SENTENCE)
    highlight = citation.locator(".qa-citation-context mark")
    expect(highlight).to_be_visible()
    expect(highlight).to_have_text(HEADLINE_SENTENCE)
    assert len(citation.locator(".qa-citation-context").inner_text()) > len(HEADLINE_SENTENCE)
    final = answer.inner_text().strip()
    seen = page.evaluate("window.qaSeen")
    partial = [t for t in seen if t and t != final and final.startswith(t.rstrip("…"))]
    assert partial, f"the answer never appeared partially: {seen[:5]}"


def test_follow_up_is_read_with_the_conversation(page: Any) -> None:
    from playwright.sync_api import expect

    ask(page, HEADLINE)
    sources_for(page, HEADLINE)
    ask(page, "How did they react?")
    sources = sources_for(page, "How did they react?")
    expect(bot_messages(page)).to_have_count(2)
    expect(sources.locator(".qa-read-as")).to_contain_text("Macron")
    assert bot_messages(page).last.inner_text().strip() not in ("", "…")


def test_unanswerable_question_gets_a_visibly_different_reply(page: Any) -> None:
    from playwright.sync_api import expect

    ask(page, UNANSWERABLE)
    sources = sources_for(page, UNANSWERABLE)
    reply = bot_messages(page).last
    expect(reply).to_contain_text("documents don't say")
    expect(reply.locator("em")).to_be_visible()
    expect(sources.locator(".qa-declined")).to_be_visible()
    expect(sources.locator(".qa-citation")).to_have_count(0)


def test_example_question_is_one_click_away(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator("#qa-examples button", has_text=HEADLINE).click()
    sources_for(page, HEADLINE)
    expect(bot_messages(page).last).to_contain_text("Scholz")


def test_an_error_is_a_readable_message_and_the_page_keeps_working(page: Any) -> None:
    from playwright.sync_api import expect

    ask(page, "?!?...,,;;")
    reply = bot_messages(page).last
    expect(reply).to_contain_text("Couldn't answer")
    expect(reply).to_contain_text("no word to search for: type a question")
    expect(page.locator("#qa-sources .qa-error")).to_be_visible()
    assert "Traceback" not in page.content()
    ask(page, HEADLINE)
    sources_for(page, HEADLINE)
    expect(bot_messages(page).last).to_contain_text("Macron")


def test_a_marker_scrolls_to_its_passage_card_and_highlights_it(page: Any) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1100, "height": 450})
    ask(page, HEADLINE)
    sources = sources_for(page, HEADLINE)
    card = sources.locator(".qa-citation").first
    expect(card.locator(".qa-citation-quote")).to_have_text(HEADLINE_SENTENCE)
    page.evaluate("window.scrollTo(0, 0)")
    expect(card).not_to_be_in_viewport()
    expect(card).not_to_have_class(re.compile("qa-cited"))
    marker = bot_messages(page).last.locator("a.qa-cite", has_text="[1]")
    assert marker.get_attribute("href") == f"#{card.get_attribute('id')}"
    marker.click()
    expect(card).to_be_in_viewport()
    expect(card).to_have_class(re.compile("qa-cited"))
    assert page.evaluate("location.hash") == ""  # the page's address is left as it was


def test_the_question_box_stops_at_the_limit_and_counts_near_it(page: Any) -> None:
    from playwright.sync_api import expect

    box = page.locator("#qa-question textarea")
    count = page.locator("#qa-question .qa-count")
    box.fill("x" * (MAX_QUESTION_CHARS // 2))
    expect(count).to_have_text("")  # far from the limit: no count
    near = int(MAX_QUESTION_CHARS * 0.9)
    box.fill("x" * near)
    expect(count).to_have_text(f"{near} / {MAX_QUESTION_CHARS} characters")
    expect(count).not_to_have_class(re.compile("qa-count-full"))
    box.fill("why " * MAX_QUESTION_CHARS)  # four times the limit, pasted
    assert len(box.input_value()) == MAX_QUESTION_CHARS
    expect(count).to_have_text(f"{MAX_QUESTION_CHARS} / {MAX_QUESTION_CHARS} characters")
    expect(count).to_have_class(re.compile("qa-count-full"))
    box.press("Enter")  # what the box holds is a question the server takes
    sources_for(page, ("why " * MAX_QUESTION_CHARS)[:60])
    expect(bot_messages(page).last).not_to_contain_text("Couldn't answer")
    expect(count).to_have_text("")  # the box was emptied for the next question
