"""Per-client rate limits for what is costly to accept, such as uploads."""

from __future__ import annotations

import threading
import time
from collections import deque

from qa.errors import UploadRefused


def client_key(request: object) -> str:
    """Who an upload counts against: the client's address, alike on the chat page (Gradio's
    request) and the HTTP API (Starlette's). Not the login: QA_AUTH has one user for all."""
    client = getattr(request, "client", None)
    host = getattr(client, "host", None)
    return f"host:{host}" if host else "anonymous"


class RateLimit:
    """At most ``per_minute`` events per client key in any 60-second window."""

    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one event for key; False (and not counted) when the key is over its limit."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and now - seen[0] >= self.window:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return False
            seen.append(now)
            if len(self._seen) > 10_000:  # forget idle clients
                for idle in [
                    k for k, v in self._seen.items() if not v or now - v[-1] >= self.window
                ]:
                    del self._seen[idle]
            return True


def check_upload_rate(limit: RateLimit, key: str) -> None:
    """Count one upload for key; UploadRefused, saying when to retry, when it is over."""
    if not limit.allow(key):
        raise UploadRefused(
            f"Too many uploads: at most {limit.per_minute} a minute (QA_UPLOADS_PER_MINUTE); "
            "try again in a minute"
        )
