"""HTTP events mode: Bolt's ASGI adapter under uvicorn, with a body limit and a request deadline."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt import App

EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000  # Slack's event payloads are a few kilobytes
REQUEST_SECONDS = 10.0  # to send a whole request, from connecting or from the previous response
KEEP_ALIVE_SECONDS = 5  # an idle kept-alive connection is closed after this
BACKLOG = 128  # Slack sends events in bursts
log = logging.getLogger("ui.slack")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


class SlackHTTPServer:
    """uvicorn serving Bolt's ASGI handler for ``app`` on a socket bound at construction."""

    def __init__(
        self, app: App, host: str, port: int, request_seconds: float = REQUEST_SECONDS
    ) -> None:
        import uvicorn

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server((host, port), family=family, backlog=BACKLOG)
        config = uvicorn.Config(
            events_app(app),
            http=deadline_protocol(request_seconds),
            ws="none",  # an Upgrade header gets a plain HTTP answer
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=5,
            backlog=BACKLOG,
            log_config=None,  # our handlers, with their token filter, write uvicorn's records
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.socket.getsockname()[:2]
        return str(host), int(port)

    def serve_forever(self) -> None:
        """Serve until `shutdown` (or, in the main thread, SIGINT or SIGTERM); closes the socket."""
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()

    def shutdown(self) -> None:
        """Ask `serve_forever` to finish: it stops within about a tenth of a second."""
        self.server.should_exit = True


def make_server(
    app: App, host: str, port: int, request_seconds: float = REQUEST_SECONDS
) -> SlackHTTPServer:
    """A server (not yet serving) that hands signed Slack requests to ``app``."""
    return SlackHTTPServer(app, host, port, request_seconds)


def events_app(app: App) -> ASGIApp:
    """Bolt's ASGI handler for ``app`` behind a body limit, `app.dispatch` run off the loop."""
    from slack_bolt.adapter.asgi import SlackRequestHandler
    from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
    from slack_bolt.request import BoltRequest
    from slack_bolt.response import BoltResponse

    class ThreadedHandler(SlackRequestHandler):
        """The sync-App handler, with the blocking `dispatch` in a worker thread."""

        async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
            bolt_request = BoltRequest(
                body=await request.get_raw_body(),
                query=request.query_string,
                headers=request.get_headers(),
            )
            return await asyncio.to_thread(self.app.dispatch, bolt_request)

    handler = ThreadedHandler(app, EVENTS_PATH)

    async def receiver(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await handler(scope, receive, send)  # lifespan
            return
        if _declared_length(scope["headers"]) > MAX_BODY:
            await _reply(send, 413, "request too large")  # at once, without reading the body
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        if len(body) > MAX_BODY:
            await _reply(send, 413, "request too large")
            return
        if not _is_utf8(body, *(value for _, value in scope["headers"])):
            await _reply(send, 400, "the headers or body are not UTF-8")  # Bolt decodes both
            return
        await handler(scope, _replay(body), send)  # Bolt answers 404 off the events path

    return receiver


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int:
    """The Content-Length, 0 if none; h11 has already answered a junk one with 400."""
    for name, value in headers:
        if name == b"content-length":
            return int(value)
    return 0


def _is_utf8(*texts: bytes) -> bool:
    try:
        for text in texts:
            text.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, cut off past MAX_BODY; None if the client disconnected first."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body.extend(message.get("body", b""))
        if len(body) > MAX_BODY or not message.get("more_body", False):
            return bytes(body)


def _replay(body: bytes) -> Receive:
    """A receive callable handing over an already-read body in one message."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _reply(send: Send, status: int, error: str) -> None:
    """A JSON error that also closes the connection: the rest of the body is not read."""
    data = json.dumps({"error": error}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data, "more_body": False})


def deadline_protocol(seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, closing a connection that takes too long to send a request.

    uvicorn's keep-alive timer runs only between requests and stops at the first byte, so
    a client that sends half a request would hold its connection forever. Here the request
    (headers and body) must arrive within ``seconds`` of the connection opening or of the
    previous response; the time the app takes to answer does not count.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class DeadlineProtocol(H11Protocol):
        deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
            self.deadline = self.loop.call_later(seconds, self._expire)

        def _expire(self) -> None:
            self.deadline = None
            answering = self.cycle is not None and not self.cycle.response_complete
            if answering and self.conn.their_state is h11.DONE:
                return  # the whole request is in; on_response_complete re-arms
            if not self.transport.is_closing():
                log.debug("dropped a connection that sent no whole request in %ss", seconds)
                self.transport.close()

    return DeadlineProtocol
