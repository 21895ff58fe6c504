"""`qa slack --http` over raw sockets: junk and partial requests, oversized bodies, wrong paths."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.ui.fake_slack import FakeSlack, send_event
from tests.ui.test_slack_bot import QUESTION, mention, replies, serve

pytestmark = pytest.mark.integration

REQUEST_SECONDS = 2.0  # the server's deadline for a whole request, short for these tests


@pytest.fixture(scope="module")
def events_url(article_assistant: Any, fake: FakeSlack) -> Iterator[str]:
    yield from serve(article_assistant, fake, request_seconds=REQUEST_SECONDS)


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def head(url: str, method: str = "POST", path: str | None = None, **headers: str) -> bytes:
    """A request line and headers (``Content_Type`` for Content-Type), then the blank line."""
    parts = urlsplit(url)
    lines = [f"{method} {path or parts.path} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_until_closed(sock: socket.socket) -> bytes:
    data = bytearray()
    while chunk := sock.recv(65536):
        data.extend(chunk)
    return bytes(data)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def answered(fake: FakeSlack, url: str, channel: str) -> str:
    """Send a signed mention and return the bot's reply: the server still works."""
    assert send_event(url, mention(fake, channel, QUESTION))[0] == 200
    return str(replies(fake, channel)[0].args["text"])


@pytest.mark.parametrize("junk", ["abc", "-1", "1e3", "0x10", "", "12, 13"])
def test_junk_content_length_gets_400_and_the_next_signed_event_is_answered(fake, events_url, junk):
    with connect(events_url) as sock:
        # headers only: uvicorn answers at once and closes, and an unread body would reset
        sock.sendall(head(events_url, Content_Type="application/json", Content_Length=junk))
        response = read_until_closed(sock)
    assert status_of(response) == 400
    channel = f"C0JUNK{junk.encode().hex()}"
    assert "Scholz" in answered(fake, events_url, channel)


@pytest.mark.parametrize(
    "partial",
    [
        b"",  # connects and says nothing
        b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
        b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n{",
    ],
    ids=["nothing", "half-the-headers", "half-the-body"],
)
def test_a_client_sending_half_a_request_is_dropped_while_others_are_served(
    fake, events_url, partial
):
    with connect(events_url) as slow:
        slow.sendall(partial)
        channel = f"C0SLOW{len(partial)}"
        assert "Scholz" in answered(fake, events_url, channel)  # served meanwhile
        # keep trickling bytes: each one resets uvicorn's own keep-alive timer, not the deadline
        slow.settimeout(REQUEST_SECONDS / 5)
        give_up = time.monotonic() + 10 * REQUEST_SECONDS + 10
        dropped = False
        while not dropped and time.monotonic() < give_up:
            try:
                dropped = slow.recv(4096) == b""
            except TimeoutError:
                try:
                    slow.sendall(b"x")
                except OSError:
                    dropped = True
            except OSError:
                dropped = True
    assert dropped, "the server kept a half-sent request's connection open"
    assert send_event(events_url, mention(fake, channel, QUESTION))[0] == 200


def test_a_body_declared_too_large_gets_413_before_it_is_sent(fake, events_url):
    from ui.slack_http import MAX_BODY

    for length in (MAX_BODY + 1, 10**15):  # h11 answers 400 to a length of over 20 digits
        with connect(events_url) as sock:
            sock.sendall(head(events_url, Content_Length=str(length)))
            response = read_until_closed(sock)
        assert status_of(response) == 413
        assert b"request too large" in response


def test_a_chunked_body_past_the_limit_gets_413_and_the_server_keeps_answering(fake, events_url):
    from ui.slack_http import MAX_BODY

    chunk = b"a" * 65536
    with connect(events_url) as sock:
        sock.sendall(head(events_url, Transfer_Encoding="chunked"))
        sent = 0
        while sent <= MAX_BODY:  # the last chunk's CRLF is left out: the server reads it all
            piece = chunk[: MAX_BODY + 1 - sent]
            end = b"\r\n" if sent + len(piece) <= MAX_BODY else b""
            sock.sendall(b"%x\r\n%s%s" % (len(piece), piece, end))
            sent += len(piece)
        response = read_until_closed(sock)
    assert status_of(response) == 413
    assert "Scholz" in answered(fake, events_url, "C0CHUNKED")


@pytest.mark.parametrize(("method", "path"), [("POST", "/other"), ("GET", "/slack/events")])
def test_other_paths_and_methods_get_404(events_url, method, path):
    with connect(events_url) as sock:
        sock.sendall(head(events_url, method, path, Content_Length="2", Connection="close"))
        sock.sendall(b"{}")
        assert status_of(read_until_closed(sock)) == 404


def test_a_header_that_is_not_utf8_gets_400(events_url):
    with connect(events_url) as sock:
        sock.sendall(
            head(events_url, Content_Length="2").replace(b"Host:", b"X-Junk: \xff\r\nHost:")
        )
        sock.sendall(b"{}")
        assert status_of(read_until_closed(sock)) == 400


def test_a_body_that_is_not_utf8_gets_400(events_url):
    with connect(events_url) as sock:
        sock.sendall(head(events_url, Content_Length="3", Connection="close") + b"{\xff}")
        assert status_of(read_until_closed(sock)) == 400
