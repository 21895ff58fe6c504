"""A local fake of Slack's Web API and a signed Events API sender, for offline bot tests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

BOT_TOKEN = "xoxb-1111-2222-fakebottoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM_ID = "T0TEST"
BOT_USER_ID = "U0QABOT"
BOT_ID = "B0QABOT"


@dataclass(frozen=True)
class Call:
    """One Web API call the bot made: the method name, its arguments, whether it was authed and
    whether the fake answered it with 429."""

    method: str
    args: dict[str, Any]
    authorized: bool
    limited: bool = False


SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"


@dataclass
class FakeSlack:
    """Slack's Web API on 127.0.0.1: auth.test, chat.postMessage, reactions.add,
    conversations.replies and files.info, recording every call; and Slack's file server, whose
    ``url_private`` links point at this same server.

    Messages posted by the bot are kept per channel so conversations.replies returns a real thread;
    tests add people's messages with ``add_message`` and files with ``add_file``. ``rate_limit``
    makes the next calls to a method answer as Slack does when a tier's limit is hit: HTTP 429
    with ``Retry-After``. A download (recorded as a ``download`` call) needs the bot token as
    bearer, as Slack's does; without it, or with ``files_read`` off (the app lacks the files:read
    scope), it gets Slack's sign-in page instead of the file, and files.info gets missing_scope.
    """

    token: str = BOT_TOKEN
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    url: str = ""
    limited: dict[str, tuple[int, int]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)
    files_read: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if urlsplit(self.path).path.startswith("/files-pri/"):
                    self._download()
                    return
                self._reply(dict(parse_qsl(urlsplit(self.path).query)))

            def _download(self) -> None:
                authorized = self.headers.get("Authorization") == f"Bearer {fake.token}"
                status, data, kind = fake.download(urlsplit(self.path).path, authorized)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    args = json.loads(raw or "{}")
                else:
                    args = dict(parse_qsl(raw))
                args.update(parse_qsl(urlsplit(self.path).query))
                self._reply(args)

            def _reply(self, args: dict[str, Any]) -> None:
                method = urlsplit(self.path).path.rsplit("/", 1)[-1]
                authorized = self.headers.get("Authorization") == f"Bearer {fake.token}"
                retry_after = fake.take_limit(method, args, authorized)
                if retry_after is None:
                    status, body = 200, fake.handle(method, args, authorized)
                else:
                    status, body = 429, {"ok": False, "error": "ratelimited"}
                data = json.dumps(body).encode()
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", str(retry_after))
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api/"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # the Web API

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` with 429 and ``Retry-After``."""
        with self._lock:
            self.limited[method] = (times, retry_after)

    def take_limit(self, method: str, args: dict[str, Any], authorized: bool) -> int | None:
        """The Retry-After seconds if this call is rate limited (and recorded as such)."""
        with self._lock:
            times, retry_after = self.limited.get(method, (0, 0))
            if times <= 0:
                return None
            self.limited[method] = (times - 1, retry_after)
            self.calls.append(Call(method, args, authorized, limited=True))
            return retry_after

    def handle(self, method: str, args: dict[str, Any], authorized: bool) -> dict[str, Any]:
        with self._lock:
            self.calls.append(Call(method, args, authorized))
            if not authorized:
                return {"ok": False, "error": "invalid_auth"}
            if method == "auth.test":
                return {
                    "ok": True,
                    "url": "https://qa-test.slack.com/",
                    "team": "QA Test",
                    "user": "qa",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                }
            if method == "chat.postMessage":
                message = {
                    "type": "message",
                    "user": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "text": args.get("text", ""),
                    "blocks": args.get("blocks", []),
                    "ts": self._next_ts(),
                    "thread_ts": args.get("thread_ts"),
                }
                self.messages.setdefault(args["channel"], []).append(message)
                return {
                    "ok": True,
                    "channel": args["channel"],
                    "ts": message["ts"],
                    "message": message,
                }
            if method == "reactions.add":
                return {"ok": True}
            if method == "files.info":
                if not self.files_read:
                    return {"ok": False, "error": "missing_scope", "needed": "files:read"}
                file = self.files.get(str(args.get("file")))
                if file is None:
                    return {"ok": False, "error": "file_not_found"}
                return {"ok": True, "file": file, "comments": [], "response_metadata": {}}
            if method == "conversations.replies":
                thread = [
                    m
                    for m in self.messages.get(args["channel"], [])
                    if args["ts"] in (m["ts"], m.get("thread_ts"))
                ]
                return {"ok": True, "messages": sorted(thread, key=lambda m: float(m["ts"]))}
            return {"ok": False, "error": "unknown_method"}

    def add_file(
        self,
        name: str,
        data: bytes,
        mimetype: str = "text/plain",
        size: int | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        """A file a person uploaded: Slack's file object, as message events and files.info
        carry it (``size`` and ``url`` override what it says its size and download link are)."""
        with self._lock:
            file_id = f"F{len(self.files) + 1:08d}"
            base = self.url.removesuffix("/api/") + f"/files-pri/{TEAM_ID}-{file_id}"
            file = {
                "id": file_id,
                "created": int(time.time()),
                "timestamp": int(time.time()),
                "name": name,
                "title": name,
                "mimetype": mimetype,
                "filetype": name.rsplit(".", 1)[-1],
                "user": "U0PERSON",
                "mode": "hosted",
                "is_external": False,
                "is_public": False,
                "size": len(data) if size is None else size,
                "url_private": f"{base}/{quote(name)}",
                "url_private_download": url or f"{base}/download/{quote(name)}",
                "permalink": f"https://qa-test.slack.com/files/U0PERSON/{file_id}/{quote(name)}",
            }
            self.files[file_id] = file
            self.contents[file_id] = data
            return file

    def download(self, path: str, authorized: bool) -> tuple[int, bytes, str]:
        """(status, body, content type) for a GET of a ``url_private`` path."""
        with self._lock:
            file_id = unquote(path).split("/")[2].removeprefix(f"{TEAM_ID}-")
            self.calls.append(Call("download", {"file": file_id, "path": path}, authorized))
            if not authorized or not self.files_read:
                return 200, SIGN_IN_PAGE, "text/html; charset=utf-8"
            if file_id not in self.contents:
                return 404, b"Not Found", "text/plain"
            return 200, self.contents[file_id], self.files[file_id]["mimetype"]

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._clock)}.000100"

    def add_message(self, channel: str, text: str, user: str = "U0PERSON", **extra: Any) -> dict:
        """A person's message in ``channel`` (``thread_ts=`` puts it in a thread)."""
        with self._lock:
            message = {"type": "message", "user": user, "text": text, "ts": self._next_ts()}
            message.update(extra)
            self.messages.setdefault(channel, []).append(message)
            return message

    def calls_to(
        self, method: str, channel: str | None = None, limited: bool = False
    ) -> list[Call]:
        """The calls to ``method`` (in ``channel``) that were answered, or with ``limited`` the
        ones answered with 429."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and c.limited == limited
                and (channel is None or c.args.get("channel") == channel)
            ]


def wait_for(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll until ``condition()`` is truthy and return it; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {condition}")


def sign(body: str, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 request signature: HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def send_event(
    url: str,
    payload: dict[str, Any],
    *,
    secret: str = SIGNING_SECRET,
    retry_num: int | None = None,
    signature: str | None = None,
) -> tuple[int, str]:
    """POST an Events API payload, signed as Slack signs it; the response status and body."""
    body = json.dumps(payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature or sign(body, timestamp, secret),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    request = urllib.request.Request(url, body.encode(), headers, method="POST")
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


_event_ids = itertools.count(1)


def event_payload(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An `event_callback` envelope around ``event``, as Slack sends it."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0QAAPP",
        "event": {"event_ts": event.get("ts"), **event},
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "enterprise_id": None}
        ],
    }
