"""The chat model behind generative answers: built from Settings, called within a deadline.

LangChain's OpenAI and Ollama integrations are imported only when ``QA_LLM`` asks for them, and
are an extra: ``pip install 'qa[llm]'``.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from qa.errors import LLMUnavailable, QAError
from qa.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

BACKENDS = ("none", "openai", "ollama")
INSTALL_HINT = "pip install 'qa[llm]'"
OPENAI_MODEL = "gpt-4o-mini"  # used with OpenAI itself when QA_LLM_MODEL is not set
LOCAL_MODEL = "local-model"  # most local servers serve one model whatever the name
OLLAMA_URL = "http://127.0.0.1:11434"
OLLAMA_PORT = 11434


def describe(settings: Settings) -> str:
    """Which model at which server, for messages and `Answer.backend` (never the API key)."""
    model = settings.llm_model or (
        OPENAI_MODEL if settings.llm == "openai" and not settings.llm_base_url else LOCAL_MODEL
    )
    return f"{settings.llm}:{model}"


def where(settings: Settings) -> str:
    if settings.llm == "ollama":
        return ollama_root(settings.llm_base_url)
    return settings.llm_base_url or "https://api.openai.com/v1"


def ollama_root(base_url: str) -> str:
    """The Ollama server's root URL, the one its client adds ``/api/chat`` to.

    A bare ``host`` or ``host:port`` gets ``http://`` (and Ollama's port 11434, as the ollama
    client gives it); a trailing ``/api`` or ``/v1`` (Ollama's OpenAI-compatible path, which is
    for ``QA_LLM=openai``) is dropped. Left as given, the client would post to ``/v1/api/chat``,
    or, for a URL it cannot parse, silently to 127.0.0.1:11434 instead.
    """
    url = base_url.strip() or OLLAMA_URL
    bare = "://" not in url
    parts = urlsplit(f"http://{url}" if bare else url)
    try:
        port = parts.port
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a port that is not a number
        port, usable = None, False
    if not usable:
        raise QAError(
            f"QA_LLM_BASE_URL={base_url!r} is not an Ollama server URL: use e.g. {OLLAMA_URL}"
        )
    if bare and port is None:
        parts = parts._replace(netloc=f"{parts.netloc}:{OLLAMA_PORT}")
    path = parts.path.rstrip("/")
    for suffix in ("/api", "/v1"):
        path = path.removesuffix(suffix)
    return parts._replace(path=path, query="", fragment="").geturl()


def chat_model(settings: Settings) -> BaseChatModel:
    """The LangChain chat model ``settings.llm`` names, streaming, with no retries."""
    if settings.llm not in BACKENDS or settings.llm == "none":
        raise QAError(f"QA_LLM={settings.llm!r} is not supported: use one of openai, ollama, none")
    if settings.llm_timeout <= 0:
        raise QAError(f"QA_LLM_TIMEOUT={settings.llm_timeout} must be a positive number of seconds")
    if settings.llm == "ollama" and not settings.llm_model:
        raise QAError(
            "QA_LLM=ollama needs a model name: set QA_LLM_MODEL or --llm-model "
            "(e.g. llama3.2; `ollama list` shows the models you have)"
        )
    model = describe(settings).split(":", 1)[1]
    try:
        if settings.llm == "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(
                model=model,
                base_url=settings.llm_base_url or None,
                # local servers accept any key; the client insists on one
                api_key=settings.llm_api_key or "not-needed",  # type: ignore[arg-type]
                timeout=settings.llm_timeout,
                max_retries=0,
                streaming=True,
                temperature=0,
            )
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=model,
            base_url=where(settings),
            temperature=0,
            # a thinking model would spend QA_LLM_TIMEOUT reasoning before the first word
            reasoning=False,
            client_kwargs={"timeout": settings.llm_timeout, "headers": _bearer(settings)},
        )
    except ImportError as exc:
        raise QAError(
            f"QA_LLM={settings.llm} needs the LLM extra ({exc.name} is missing): "
            f"run `{INSTALL_HINT}`"
        ) from None


def _bearer(settings: Settings) -> dict[str, str]:
    """The key as a bearer token, for Ollama behind an authenticating proxy or on ollama.com."""
    return {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}


class Deadline:
    """One answer's time budget: every call to the model shares it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def left(self) -> float:
        return self.until - time.monotonic()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Time spent here (retrieval) does not count against the model."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.until += time.monotonic() - started


def stream_text(
    model: BaseChatModel, messages: Sequence[BaseMessage], deadline: Deadline, name: str
) -> Iterator[str]:
    """The model's reply piece by piece; LLMUnavailable when it fails or the deadline passes.

    The model runs in a daemon thread so a server that hangs mid-reply cannot hold the caller
    past the deadline (the thread ends at the HTTP client's own timeout).
    """
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in model.stream(list(messages)):
                if stop.is_set():
                    return
                pieces.put(("text", chunk.text))
            pieces.put(("done", None))
        except BaseException as exc:  # reported to the caller, never raised in the thread
            pieces.put(("error", exc))

    threading.Thread(target=work, name="qa-llm", daemon=True).start()
    try:
        while True:
            try:
                kind, value = pieces.get(timeout=max(deadline.left(), 0.0))
            except queue.Empty:
                raise LLMUnavailable(
                    f"The LLM ({name}) did not answer within {deadline.seconds:g} s "
                    "(QA_LLM_TIMEOUT)"
                ) from None
            if kind == "done":
                return
            if kind == "error":
                raise LLMUnavailable(f"The LLM ({name}) failed: {_reason(value)}") from None
            if value:
                yield str(value)
    finally:
        stop.set()


def complete(
    model: BaseChatModel, messages: Sequence[BaseMessage], deadline: Deadline, name: str
) -> str:
    return "".join(stream_text(model, messages, deadline, name))


def _reason(exc: BaseException) -> str:
    """A short, secret-free description of what went wrong.

    The server's own words are kept when it sent an ``{"error": ...}`` (Ollama's errors, e.g.
    "model 'x' not found"): they say what to fix and hold nothing of ours.
    """
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    said = getattr(exc, "error", None)
    detail = " ".join(said.split())[:160] if isinstance(said, str) and said.strip() else ""
    if isinstance(status, int) and status > 0:
        reason = f"HTTP {status}: {detail} ({kind})" if detail else f"HTTP {status} ({kind})"
        if status == 404:
            reason += "; check QA_LLM_MODEL and QA_LLM_BASE_URL"
        return reason
    if detail:  # an error line in the middle of a stream
        return f"the server reported an error: {detail} ({kind})"
    if kind == "RemoteProtocolError":
        return f"the server closed the connection before the reply was complete ({kind})"
    if isinstance(exc, json.JSONDecodeError):
        return f"the server sent a reply that is not valid JSON ({kind})"
    if "connect" in kind.lower() or "connect" in str(exc).lower()[:200]:
        return f"cannot connect to the server ({kind})"
    if "timeout" in kind.lower():
        return f"the server timed out ({kind})"
    return kind


_TAG = re.compile(r"<(/?)(passages?|conversation|question|claims?|sentence)\b", re.IGNORECASE)


def quoted(text: str) -> str:
    """Text made safe to put inside our delimiters: a document cannot close a block."""
    return _TAG.sub(lambda m: f"‹{m.group(1)}{m.group(2)}", text)
