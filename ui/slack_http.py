"""HTTP events mode: a small threaded server passing `POST /slack/events` to the Bolt app."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt import App

EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000  # Slack's event payloads are a few kilobytes
log = logging.getLogger("ui.slack")


def make_server(app: App, host: str, port: int) -> ThreadingHTTPServer:
    """A server (not yet serving) that hands signed Slack requests to ``app.dispatch``."""
    from slack_bolt.request import BoltRequest

    class Handler(BaseHTTPRequestHandler):
        server_version = "qa-slack"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), format % args)

        def do_POST(self) -> None:
            path, _, query = self.path.partition("?")
            if path != EVENTS_PATH:
                self._send(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, {"error": "request too large"})
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            headers: dict[str, str | Sequence[str]] = {
                k.lower(): [v] for k, v in self.headers.items()
            }
            response = app.dispatch(BoltRequest(body=body, query=query, headers=headers))
            self._send(response.status, response.body, response.headers)

        def do_GET(self) -> None:
            self._send(404, {"error": "not found"})

        def _send(
            self, status: int, body: str | dict[str, Any], headers: dict[str, Any] | None = None
        ) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
            self.send_response(status)
            for name, values in (headers or {}).items():
                if name.lower() == "content-length":
                    continue
                for value in values if isinstance(values, list | tuple) else [values]:
                    self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # Slack sends events in bursts

    return Server((host, port), Handler)
