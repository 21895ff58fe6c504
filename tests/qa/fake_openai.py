"""A local server speaking the OpenAI chat-completions wire format, scripted per test.

Each request to ``POST /v1/chat/completions`` takes the next behaviour from ``replies``:
a string (answered as that text, streamed as server-sent events when the request asks for a
stream), or one of the failure modes ``"!500"``, ``"!hang"`` (never answers until the server
stops), ``"!malformed"`` (a stream of garbage events) and ``"!cut"`` (a stream that stops mid-way
without ``[DONE]``). Requests are recorded as parsed JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers import FakeServer, serving


class FakeOpenAI(FakeServer):
    def __init__(self, replies: list[str]) -> None:
        super().__init__(replies, _handler, "/v1")
        self.headers: list[dict[str, str]] = []


def _chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"role": "assistant", "content": content}
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append(request)
            fake.headers.append(dict(self.headers.items()))
            reply = fake.next_reply()
            if reply == "!hang":
                fake.stopping.wait(60)
                return
            if reply == "!500":
                self._send(500, b'{"error": {"message": "boom", "type": "server_error"}}')
                return
            if not request.get("stream"):
                self._send(200, json.dumps(_completion(reply)).encode())
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            if reply == "!malformed":
                self.wfile.write(b"data: {this is not json\n\ndata: [DONE]\n\n")
                return
            words = reply.split(" ")
            if reply == "!cut":
                words = ["Putin", "called"]
            for i, word in enumerate(words):
                self.wfile.write(_chunk(word if i == 0 else f" {word}"))
                self.wfile.flush()
            if reply == "!cut":
                self.wfile.write(b'data: {"id": "x", "choices": [{"index": 0, "delta": {"con')
                return
            self.wfile.write(_chunk(None, "stop"))
            self.wfile.write(b"data: [DONE]\n\n")

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@contextmanager
def fake_openai(replies: list[str]) -> Iterator[FakeOpenAI]:
    with serving(FakeOpenAI(replies)) as fake:
        yield fake
