"""Start a real server process for a test, wait until it answers, and stop it afterwards."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx


def launch(
    command: Sequence[str],
    ready_url: str,
    log: Path,
    env: Mapping[str, str] | None = None,
    seconds: float = 120,
) -> subprocess.Popen[bytes]:
    """Run command with its output in log; return once ready_url answers 200.

    Raises RuntimeError with the server's output when it exits or is not ready in time, and
    leaves no process behind in that case.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(command), stdout=out, stderr=subprocess.STDOUT, env=dict(env) if env else None
        )
    try:
        wait_until_ready(ready_url, seconds, proc, log)
    except BaseException:
        stop(proc)
        raise
    return proc


def wait_until_ready(
    url: str,
    seconds: float = 120,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll url until it answers 200; fail early, with its output, if proc has exited."""
    deadline = time.monotonic() + seconds
    while True:
        if proc is not None and proc.poll() is not None:
            output = log.read_text()[-3000:] if log else ""
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}:\n{output}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing ready at {url} after {seconds:.0f} s")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it does not go within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class FakeServer:
    """A fake HTTP API on a free loopback port with scripted replies; ``serving`` runs it."""

    def __init__(
        self,
        replies: list[str],
        handler: Callable[[Any], type[BaseHTTPRequestHandler]],
        path: str = "",
    ) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def next_reply(self) -> str:
        return self.replies.pop(0) if self.replies else "The documents don't say."


Fake = TypeVar("Fake")


@contextmanager
def serving(fake: Fake) -> Iterator[Fake]:
    """Run a fake's ``server`` (an http.server) in a thread; on exit set its ``stopping`` event
    (to release stalled replies) and shut it down."""
    handle: Any = fake
    thread = threading.Thread(target=handle.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        handle.stopping.set()
        handle.server.shutdown()
        handle.server.server_close()
