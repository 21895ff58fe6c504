"""Office documents through a real `qa serve`: each format posted to /api/documents is answered
from with exact citations; a .docx dropped on the chat page (headless Chromium) too; and a
refused or unreadable file gets a line in the panel that stays, not a toast that vanishes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from index import load_document
from tests.index.test_office import FACTS, FILLER
from tests.office_files import MAKERS, docx_bytes
from tests.servers import stop
from tests.ui.conftest import start_qa_serve
from tests.ui.test_chat_page import CHROMIUM_ARGS, WAIT_MS, ask, sources_for

pytestmark = pytest.mark.integration

KESTREL_FILE = "harbour-rota.docx"
KESTREL_SENTENCE = "The harbour pilot Ines Varga guides the freighter Kestrel in at dawn."
KESTREL_QUESTION = "Who guides the freighter Kestrel into the harbour?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`qa serve` over its own store, taking uploads."""
    proc, url = start_qa_serve(tmp_path_factory.mktemp("office-store"))
    yield url
    stop(proc)


def extracted(tmp_path: Path, name: str, data: bytes) -> str:
    """The text qa reads from a file: what its citations are offsets into."""
    path = tmp_path / name
    path.write_bytes(data)
    return load_document(path).text


def test_each_format_posted_to_the_api_is_answered_with_exact_citations(
    served: str, tmp_path: Path
) -> None:
    files = {
        f"api-notes{suffix}": MAKERS[suffix](title, [FILLER, sentence])
        for suffix, (title, sentence, _question) in FACTS.items()
    }
    parts = [("files", (name, data)) for name, data in files.items()]
    response = httpx.post(f"{served}/api/documents", files=parts, timeout=300)
    assert response.status_code == 200, response.text
    assert [(r["source"], r["status"]) for r in response.json()] == [
        (name, "added") for name in files
    ]
    for suffix, (_title, sentence, question) in FACTS.items():
        name = f"api-notes{suffix}"
        reply = httpx.post(f"{served}/api/ask", json={"question": question}, timeout=120).json()
        assert reply["answered"], (suffix, reply["answer"])
        first = reply["citations"][0]
        assert (first["source"], first["text"]) == (name, sentence)
        text = extracted(tmp_path, name, files[name])
        assert text[first["start"] : first["end"]] == sentence


# the chat page in a real browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, served: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(served)
    page.locator("#qa-question textarea").wait_for()
    yield page
    context.close()


def drop(page: Any, files: dict[str, bytes]) -> None:
    """Drag files onto the upload area, as from the desktop."""
    transfer = page.evaluate_handle(
        "(files) => { const dt = new DataTransfer();"
        " for (const [name, bytes] of files) dt.items.add(new File([new Uint8Array(bytes)], name));"
        " return dt; }",
        [[name, list(data)] for name, data in files.items()],
    )
    zone = page.locator("#qa-upload button.upload-container")
    for event in ("dragenter", "dragover", "drop"):
        zone.dispatch_event(event, {"dataTransfer": transfer})


def test_a_dropped_word_document_is_answered_from_with_its_passage(page: Any) -> None:
    from playwright.sync_api import expect

    drop(page, {KESTREL_FILE: docx_bytes("Harbour rota", [FILLER, KESTREL_SENTENCE])})
    status = page.locator("#qa-upload-status")
    expect(status.locator(".qa-upload-ok")).to_contain_text(f"{KESTREL_FILE}: added")
    expect(page.locator("#qa-doc-listing .qa-doc-name", has_text=KESTREL_FILE)).to_have_count(1)
    ask(page, KESTREL_QUESTION)
    citation = sources_for(page, KESTREL_QUESTION).locator(".qa-citation").first
    expect(citation.locator(".qa-citation-source")).to_have_text(KESTREL_FILE)
    expect(citation.locator(".qa-citation-quote")).to_have_text(KESTREL_SENTENCE)
    expect(citation.locator(".qa-citation-context mark")).to_have_text(KESTREL_SENTENCE)


def test_a_refused_or_unreadable_file_keeps_its_line_in_the_panel(page: Any) -> None:
    from playwright.sync_api import expect

    good = docx_bytes("Pier", ["The pier was rebuilt in oak after the storm of 1903."])
    drop(page, {"setup.exe": b"MZ\x90\x00", "cut.docx": good[:900], "pier.docx": good})
    status = page.locator("#qa-upload-status")
    failed = status.locator(".qa-upload-failed")
    expect(failed).to_have_count(2)
    expect(failed.nth(0)).to_have_text(
        re.compile(r"^✗ setup\.exe: unsupported file type '\.exe' \(supported: .*\.docx.*\)$")
    )
    expect(failed.nth(1)).to_have_text(re.compile(r"^✗ cut\.docx: not a \.docx file"))
    expect(status.locator(".qa-upload-ok")).to_contain_text("pier.docx: added")
    expect(page.locator(".toast-body")).to_have_count(0)  # no toast: the reason is in the list
    listing = page.locator("#qa-doc-listing .qa-doc-name")
    expect(listing.filter(has_text="pier.docx")).to_have_count(1)
    expect(listing.filter(has_text=re.compile("setup.exe|cut.docx"))).to_have_count(0)
    ask(page, "When was the pier rebuilt?")  # the page goes on; the lines stay
    expect(
        sources_for(page, "When was the pier rebuilt?").locator(".qa-citation")
    ).not_to_have_count(0)
    expect(failed).to_have_count(2)
