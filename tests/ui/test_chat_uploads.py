"""Documents on the chat page, in headless Chromium against a real `qa serve`: upload, cite,
remove, unreadable files, limits, the read-only mode; and the panel's logic without a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from qa import Settings
from qa.uploads import UploadResult
from tests.servers import stop
from tests.ui.conftest import HEADLINE, start_qa_serve
from tests.ui.test_chat_page import CHROMIUM_ARGS, WAIT_MS, ask, bot_messages, sources_for
from ui.documents_panel import Documents, render_listing, render_result
from ui.limits import RateLimit, client_key

ZEBRA_FILE = "zebra-notes.md"
ZEBRA_SENTENCE = "The zebra Florian eats kelp every Tuesday at the harbour."
ZEBRA_QUESTION = "What does the zebra Florian eat?"
ZEBRA_MD = f"# Zoo notes\n\nVisitors to the small zoo ask about its animals.\n\n{ZEBRA_SENTENCE}\n"
ODALYS_FILE = "keeper.pdf"
ODALYS_SENTENCE = "The lighthouse keeper Odalys paints her boat orange every spring."
ODALYS_QUESTION = "What colour does Odalys paint her boat?"
MAX_FILES = 3
MAX_MB = 0.05
DECLINE = "documents don't say"


def minimal_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF whose text is ``lines`` in Helvetica (one BT/ET text object), with a
    correct cross-reference table."""

    def escaped(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = "".join(f"({escaped(line)}) Tj T* " for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 72 720 Td {shown}ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


ODALYS_PDF = minimal_pdf([ODALYS_SENTENCE, "She sails it to the island of Vell in May."])


def test_the_hand_made_pdf_reads_as_its_text(tmp_path: Path) -> None:
    from index.loading import load_document

    path = tmp_path / ODALYS_FILE
    path.write_bytes(ODALYS_PDF)
    assert ODALYS_SENTENCE in load_document(path).text


# the panel's logic, without a browser


class FakeAssistant:
    """What the panel uses of an Assistant: settings, add_files, sources, remove."""

    def __init__(self, **settings: Any) -> None:
        self.settings = Settings(**settings)
        self.added: list[str] = []

    def add_files(self, files: Sequence[tuple[str, bytes]]) -> list[UploadResult]:
        self.added += [name for name, _ in files]
        return [UploadResult(name, name, "added", 1) for name, _ in files]

    def sources(self) -> list[Any]:
        return [SimpleNamespace(source=name, chunks=1) for name in self.added]

    def remove(self, name: str) -> None:
        self.added.remove(name)


def last(steps: Iterator[str]) -> str:
    return list(steps)[-1]


def test_uploads_over_the_rate_are_refused_with_the_reason() -> None:
    assistant = FakeAssistant(uploads_per_minute=2)
    documents = Documents(assistant)  # type: ignore[arg-type]
    for n in range(2):
        assert "added" in last(documents.upload([(f"{n}.md", b"text")], "host:1.2.3.4"))
    refused = last(documents.upload([("2.md", b"text")], "host:1.2.3.4"))
    assert "Too many uploads" in refused and "QA_UPLOADS_PER_MINUTE" in refused
    assert "added" in last(documents.upload([("3.md", b"text")], "host:5.6.7.8"))  # per client
    assert assistant.added == ["0.md", "1.md", "3.md"]


def test_too_many_files_or_uploads_off_index_nothing_and_say_why() -> None:
    assistant = FakeAssistant(max_upload_files=2)
    many = last(Documents(assistant).upload([(f"{n}.md", b"x") for n in range(3)], "k"))  # type: ignore[arg-type]
    assert "3 files at once; the limit is 2" in many
    off = FakeAssistant(uploads=False)
    documents = Documents(off)  # type: ignore[arg-type]
    assert "turned off" in last(documents.upload([("a.md", b"x")], "k"))
    assert "cannot be removed" in documents.remove("a.md")
    assert assistant.added == off.added == []


def test_files_index_one_by_one_with_a_step_each() -> None:
    assistant = FakeAssistant()
    seen: list[tuple[int, int, str]] = []
    steps = list(
        Documents(assistant).upload(  # type: ignore[arg-type]
            [("a.md", b"x"), ("b.md", b"y")], "k", lambda *step: seen.append(step)
        )
    )
    assert seen == [(0, 2, "a.md"), (1, 2, "b.md")]
    assert "Indexing a.md (1 of 2)" in steps[0] and "Indexing b.md (2 of 2)" in steps[1]
    assert "a.md" in steps[-1] and "b.md" in steps[-1] and "Indexing" not in steps[-1]


def test_names_and_reasons_are_escaped() -> None:
    listing = render_listing([SimpleNamespace(source="<b>x</b>.md", chunks=1)])
    assert "&lt;b&gt;x&lt;/b&gt;.md" in listing and "1 passage<" in listing
    failed = render_result(UploadResult("<i>.pdf", "", "failed", error="<i>.pdf: unreadable"))
    assert "<i>" not in failed and "&lt;i&gt;.pdf: unreadable" in failed


def test_a_client_is_its_address_logged_in_or_not() -> None:
    host = SimpleNamespace(host="10.0.0.7")
    assert client_key(SimpleNamespace(username="ann", client=host)) == "host:10.0.0.7"
    assert client_key(SimpleNamespace(username=None, client=host)) == "host:10.0.0.7"
    assert client_key(None) == "anonymous"
    assert RateLimit(1).allow(client_key(None))


# the page in a real browser

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def upload_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`qa serve` over its own store, taking uploads (at most 3 files of 50 kB at once)."""
    proc, url = start_qa_serve(
        tmp_path_factory.mktemp("upload-store"),
        QA_MAX_UPLOAD_FILES=str(MAX_FILES),
        QA_MAX_UPLOAD_MB=str(MAX_MB),
    )
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def read_only_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = start_qa_serve(tmp_path_factory.mktemp("read-only-store"), QA_UPLOADS="false")
    yield url
    stop(proc)


def open_page(browser: Any, url: str) -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.locator("#qa-question textarea").wait_for()
    return page


@pytest.fixture
def page(browser: Any, upload_url: str) -> Iterator[Any]:
    page = open_page(browser, upload_url)
    yield page
    page.context.close()


def drop_file(page: Any, name: str, text: str) -> None:
    """Drag a file onto the upload area, as from the desktop."""
    transfer = page.evaluate_handle(
        "([name, text]) => { const dt = new DataTransfer();"
        " dt.items.add(new File([text], name, {type: 'text/markdown'})); return dt; }",
        [name, text],
    )
    zone = page.locator("#qa-upload button.upload-container")
    for event in ("dragenter", "dragover", "drop"):
        zone.dispatch_event(event, {"dataTransfer": transfer})


def pick_files(page: Any, files: Sequence[tuple[str, bytes]]) -> None:
    """Choose files with the upload area's file picker (the button)."""
    payload = [
        {"name": name, "mimeType": "application/octet-stream", "buffer": data}
        for name, data in files
    ]
    page.locator("#qa-upload input[type=file]").set_input_files(payload)


def listed(page: Any) -> Any:
    return page.locator("#qa-doc-listing .qa-doc-name")


def remove(page: Any, name: str) -> None:
    from playwright.sync_api import expect

    page.locator("#qa-remove-choice input").click()
    page.get_by_role("option", name=name, exact=True).click()
    page.locator("#qa-remove").click()
    expect(page.locator("#qa-upload-status")).to_contain_text(f"Removed {name}")
    expect(listed(page).filter(has_text=name)).to_have_count(0)


def expect_cited(page: Any, question: str, source: str, sentence: str) -> None:
    from playwright.sync_api import expect

    ask(page, question)
    citation = sources_for(page, question).locator(".qa-citation").first
    expect(citation.locator(".qa-citation-source")).to_have_text(source)
    expect(citation.locator(".qa-citation-quote")).to_have_text(sentence)
    expect(citation.locator(".qa-citation-context mark")).to_have_text(sentence)
    expect(bot_messages(page).last).to_contain_text("[1]")


def expect_declined(page: Any, question: str) -> None:
    from playwright.sync_api import expect

    ask(page, question)
    sources = sources_for(page, question)
    expect(bot_messages(page).last).to_contain_text(DECLINE)
    expect(sources.locator(".qa-declined")).to_be_visible()


def test_a_dropped_markdown_file_answers_until_it_is_removed(page: Any) -> None:
    from playwright.sync_api import expect

    expect_declined(page, ZEBRA_QUESTION)
    drop_file(page, ZEBRA_FILE, ZEBRA_MD)
    status = page.locator("#qa-upload-status")
    expect(status.locator(".qa-upload-ok")).to_contain_text(f"{ZEBRA_FILE}: added")
    expect(listed(page).filter(has_text=ZEBRA_FILE)).to_have_count(1)
    expect_cited(page, ZEBRA_QUESTION, ZEBRA_FILE, ZEBRA_SENTENCE)
    remove(page, ZEBRA_FILE)
    expect_declined(page, ZEBRA_QUESTION + " ")  # a new question, for a new sources panel
    expect(listed(page).filter(has_text="article.txt")).to_have_count(1)


def test_a_picked_pdf_indexes_beside_an_unreadable_file_that_says_why(page: Any) -> None:
    from playwright.sync_api import expect

    pick_files(
        page, [("broken.pdf", b"%PDF-1.4 this is not really a PDF"), (ODALYS_FILE, ODALYS_PDF)]
    )
    status = page.locator("#qa-upload-status")
    expect(status.locator(".qa-upload-failed")).to_have_text(re.compile(r"^✗ broken\.pdf: \S.*$"))
    expect(status.locator(".qa-upload-ok")).to_contain_text(f"{ODALYS_FILE}: added")
    expect(listed(page).filter(has_text=ODALYS_FILE)).to_have_count(1)
    expect(listed(page).filter(has_text="broken.pdf")).to_have_count(0)
    expect_cited(page, ODALYS_QUESTION, ODALYS_FILE, ODALYS_SENTENCE)
    remove(page, ODALYS_FILE)
    expect_declined(page, ODALYS_QUESTION + " ")


def test_uploads_over_the_limits_are_refused_on_the_page(page: Any) -> None:
    from playwright.sync_api import expect

    pick_files(page, [(f"n{n}.md", b"note") for n in range(MAX_FILES + 1)])
    status = page.locator("#qa-upload-status")
    expect(status).to_contain_text(f"{MAX_FILES + 1} files at once; the limit is {MAX_FILES}")
    expect(listed(page).filter(has_text="n0.md")).to_have_count(0)
    big = b"word " * int(MAX_MB * 2**20 / 4)
    pick_files(page, [("big.txt", big)])
    expect(status.locator(".qa-upload-failed")).to_contain_text(
        f"big.txt: larger than {MAX_MB:g} MB"
    )


def test_the_examples_show_only_while_the_bundled_article_is_indexed(page: Any) -> None:
    from playwright.sync_api import expect

    from qa import bundled_article

    examples = page.locator("#qa-examples")
    expect(examples).to_be_visible()
    remove(page, "article.txt")
    expect(examples).to_be_hidden()
    article = bundled_article()
    pick_files(page, [(article.name, article.read_bytes())])
    expect(listed(page).filter(has_text=article.name)).to_have_count(1)
    expect(examples).to_be_visible()
    page.locator("#qa-examples button", has_text=HEADLINE).click()
    expect(bot_messages(page).last).to_contain_text("Scholz")


def test_read_only_page_has_no_upload_or_remove_and_the_api_refuses(
    browser: Any, read_only_url: str
) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, read_only_url)
    try:
        expect(page.locator("#qa-doc-listing .qa-doc-name")).to_have_text(["article.txt"])
        expect(page.locator("#qa-examples")).to_be_visible()
        expect(page.locator("#qa-upload")).to_have_count(0)
        expect(page.locator("#qa-remove")).to_have_count(0)
        expect(page.locator("#qa-remove-choice")).to_have_count(0)
        expect(page.locator("input[type=file]")).to_have_count(0)
    finally:
        page.context.close()
    files = {"files": (ZEBRA_FILE, ZEBRA_MD.encode(), "text/markdown")}
    response = httpx.post(f"{read_only_url}/api/documents", files=files, timeout=30)
    assert response.status_code == 403, response.text
    kept = httpx.post(f"{read_only_url}/gradio_api/upload", files=files, timeout=30)
    assert kept.status_code >= 400, kept.text  # Gradio's own upload route keeps nothing either


def test_uploads_need_the_login_when_auth_is_set(auth_server_url: str) -> None:
    files = {"files": (ZEBRA_FILE, ZEBRA_MD.encode(), "text/markdown")}
    upload = httpx.post(f"{auth_server_url}/gradio_api/upload", files=files, timeout=30)
    assert upload.status_code == 401
    join = httpx.post(f"{auth_server_url}/gradio_api/queue/join", json={}, timeout=30)
    assert join.status_code == 401
    page = httpx.get(f"{auth_server_url}/config", timeout=30)
    assert page.status_code == 401
