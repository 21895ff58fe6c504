"""Hostile documents change nothing, secrets stay out of every output, nothing leaves the
machine, and the server listens on loopback unless told otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from qa.answer import MARKER, strip_markers
from tests.conftest import free_port
from tests.reliability.conftest import (
    FAKE_MARKER,
    FAKE_MARKER_QUESTION,
    HOSTILE_NAME,
    HOSTILE_TEXT,
    INJECTION,
    INJECTION_QUESTION,
    LLM_KEY,
    MARKUP,
    MARKUP_QUESTION,
    SECRETS,
    SLACK_SECRET,
    SLACK_TOKEN,
    Served,
    qa_command,
)
from tests.servers import launch, stop
from tests.ui.test_chat_page import browser  # noqa: F401 - the same headless Chromium fixture

pytestmark = pytest.mark.integration
HEADLINE = "Which leaders did Putin call?"


def ask(url: str, question: str) -> dict[str, Any]:
    response = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def hostile_citations(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer's citations, each checked to be a verbatim slice of the hostile document."""
    cited = [c for c in body["citations"] if c["source"] == HOSTILE_NAME]
    for c in cited:
        assert HOSTILE_TEXT[c["start"] : c["end"]] == c["text"]
    return cited


# the extractive answer quotes a hostile document, and only quotes it


def test_instructions_in_a_document_are_quoted_as_data_not_followed(served: Served) -> None:
    body = ask(served.url, INJECTION_QUESTION)
    assert body["answered"] and hostile_citations(body)
    # the answer is nothing but the cited sentences with their markers
    assert strip_markers(body["answer"]) == " ".join(c["text"].strip() for c in body["citations"])
    assert body["answer"].strip() != "HACKED" and body["backend"] == "extractive"
    if INJECTION[:-1] in body["answer"]:
        assert any(INJECTION in c["text"] for c in body["citations"])


def test_markup_in_a_document_comes_back_as_the_same_characters(served: Served) -> None:
    body = ask(served.url, MARKUP_QUESTION)
    [cited] = [c for c in hostile_citations(body) if "colza" in c["text"]]
    assert "<script>alert(1)</script>" in cited["text"] and cited["text"] in MARKUP
    assert "<script>alert(1)</script>" in body["answer"]


def test_fake_markers_in_a_document_do_not_become_citation_markers(served: Served) -> None:
    body = ask(served.url, FAKE_MARKER_QUESTION)
    [cited] = [c for c in hostile_citations(body) if "forty-one" in c["text"]]
    assert cited["text"] == FAKE_MARKER  # the citation itself stays verbatim, "[9]" and all
    markers = {int(n) for n in MARKER.findall(body["answer"])}
    assert markers == {c["n"] for c in body["citations"]}, body["answer"]


def test_every_marker_the_cli_prints_numbers_a_real_citation(hostile_data: Path) -> None:
    result = qa_command("ask", MARKUP_QUESTION, "--json", data=hostile_data)
    body = json.loads(result.stdout)
    assert {int(n) for n in MARKER.findall(body["answer"])} == {c["n"] for c in body["citations"]}


# the chat page shows the hostile document as text


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1100, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(30_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    page.goto(served.url)
    page.locator("#qa-question textarea").wait_for()
    yield page
    context.close()


def test_chat_page_shows_script_and_img_tags_as_text_and_runs_nothing(page: Any) -> None:
    from playwright.sync_api import expect

    box = page.locator("#qa-question textarea")
    box.fill(MARKUP_QUESTION)
    box.press("Enter")
    expect(page.locator("#qa-sources .qa-sources-title")).to_contain_text(MARKUP_QUESTION)
    answer = page.locator("#qa-chat .message.bot").last
    expect(answer).to_contain_text("<script>alert(1)</script>")
    quote = page.locator("#qa-sources .qa-citation-quote", has_text="colza")
    expect(quote).to_contain_text('<img src=x onerror="alert(2)">')
    page.wait_for_timeout(500)  # give an injected onerror handler its chance to fire
    assert page.dialogs == []
    assert page.locator("#qa-chat img[src='x'], #qa-sources img[src='x']").count() == 0
    scripts = page.locator("script").evaluate_all("els => els.map(e => e.textContent)")
    assert not [s for s in scripts if "alert(" in s]


# no secrets in reprs, error messages or logs


def test_settings_and_assistant_reprs_hold_no_secrets(tmp_path: Path) -> None:
    from qa import Settings, build_assistant

    settings = Settings(data_dir=tmp_path, llm_api_key=LLM_KEY, auth="reader:pw-SECRET-77")
    for text in (repr(settings), repr(build_assistant(settings)), str(settings)):
        assert LLM_KEY not in text and "pw-SECRET-77" not in text and "SECRET" not in text


def test_cli_error_messages_hold_no_secrets(tmp_path: Path) -> None:
    malformed_auth = qa_command(
        "serve", "--port", str(free_port()), data=tmp_path, env={"QA_AUTH": "pw-SECRET-77"}
    )
    assert malformed_auth.returncode == 1
    assert malformed_auth.stderr.startswith("qa: error: QA_AUTH must look like user:password")
    assert "pw-SECRET-77" not in malformed_auth.stderr
    slack = qa_command(
        "slack",
        "--http",
        data=tmp_path,
        env={"SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SLACK_TOKEN},
    )
    assert slack.returncode == 1 and "SIGNING_SECRET" in slack.stderr
    assert "SECRET" not in slack.stderr.replace("SIGNING_SECRET", "")


def test_a_dead_llm_server_is_reported_without_the_api_key(hostile_data: Path) -> None:
    env = {
        "QA_LLM": "openai",
        "QA_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "QA_LLM_API_KEY": LLM_KEY,
        "QA_LLM_TIMEOUT": "5",
    }
    result = qa_command(
        "ask", "Which leaders did Putin call?", "--json", data=hostile_data, env=env
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["backend"] == "extractive" and body["notes"]  # the fallback, saying why
    assert LLM_KEY not in result.stdout + result.stderr


def test_server_log_holds_no_secrets(served: Served) -> None:
    ask(served.url, HEADLINE)
    httpx.post(f"{served.url}/api/ask", json={"question": LLM_KEY}, timeout=60)
    log = served.log.read_text(errors="replace")
    assert log.strip(), "the server wrote nothing at all"
    for secret in (LLM_KEY, SLACK_TOKEN, SLACK_SECRET, *SECRETS):
        assert secret not in log


# nothing leaves the machine; loopback by default


TELEMETRY = ("ANONYMIZED_TELEMETRY", "GRADIO_ANALYTICS_ENABLED", "HF_HUB_OFFLINE")


class Recorder(BaseHTTPRequestHandler):
    """A proxy that forwards nothing and remembers every request a program tried to send out."""

    seen: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> None:
        Recorder.seen.append(f"{self.command} {self.path}")
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_HEAD = do_CONNECT = _record


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, int]]:
    """`qa serve --port N` with no --host, no QA_HOST and no telemetry settings of its own,
    every outside connection sent to a recording proxy: (url, port, pid)."""
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=proxy.serve_forever, args=(0.05,), daemon=True).start()
    proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
    data = tmp_path_factory.mktemp("default-server")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    for name in ("QA_HOST", *TELEMETRY):
        env.pop(name, None)
    proxies = {"HTTP_PROXY": proxy_url, "HTTPS_PROXY": proxy_url, "ALL_PROXY": proxy_url}
    env.update(proxies, **{k.lower(): v for k, v in proxies.items()})
    env.update(QA_DATA_DIR=str(data), NO_PROXY="", no_proxy="")
    port = free_port()
    command = [sys.executable, "-m", "qa.cli", "serve", "--port", str(port)]
    proc = launch(command, f"http://127.0.0.1:{port}/healthz", data / "server.log", env, 300)
    try:
        yield f"http://127.0.0.1:{port}", port, proc.pid
    finally:
        stop(proc)
        proxy.shutdown()
        proxy.server_close()


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_server_listens_on_loopback_only_by_default(default_server) -> None:  # type: ignore[no-untyped-def]
    _url, port, _pid = default_server
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and no 0.0.0.0 or ::


def test_serving_a_page_and_a_question_sends_nothing_out(default_server) -> None:  # type: ignore[no-untyped-def]
    url, _port, _pid = default_server
    with httpx.Client(trust_env=False, timeout=60) as client:
        assert client.get(f"{url}/").status_code == 200
        assert client.post(f"{url}/api/ask", json={"question": "Which leaders?"}).status_code == 200
    assert Recorder.seen == []


def test_telemetry_is_off_after_the_server_starts_up(tmp_path: Path) -> None:
    """The web server's start-up (create_app) in a child whose environment says nothing about
    telemetry: Chroma's and Gradio's are off once it is built."""
    code = (
        "import os, sys\n"
        "from qa import Settings, build_assistant\n"
        "from ui.server import create_app\n"
        "from pathlib import Path\n"
        "create_app(Settings(data_dir=Path(sys.argv[1])))\n"
        "from gradio.analytics import analytics_enabled\n"
        "import chromadb.config\n"
        "print(os.environ.get('ANONYMIZED_TELEMETRY'), os.environ.get('GRADIO_ANALYTICS_ENABLED'),"
        " analytics_enabled(), chromadb.config.Settings().anonymized_telemetry)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY}
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.stdout.split() == ["False", "False", "False", "False"], result.stderr
