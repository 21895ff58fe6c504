"""An OpenAI-compatible chat endpoint: `POST /v1/chat/completions` and `GET /v1/models`."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from typing import Any, Literal

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from qa import Answer, Assistant, Citation, QAError, QuestionError, Settings, StoreUnavailable
from ui.http_api import (
    ASK_CONCURRENCY,
    MAX_HISTORY_TURNS,
    MAX_TURN_CHARS,
    parse_auth,
    same_login,
)

log = logging.getLogger(__name__)

MODEL_ID = "qa"
# after this line comes the final answer, when verification rewrote an LLM's streamed text
REVISED = "\n\n(Revised after checking the passages:)\n"
_UNFINISHED = re.compile(r"\s*\[\d*$")  # a trailing "[" or "[1" may still become a marker
_FOOTNOTES = re.compile(r'\n\n\[1\] [^\n]*?, chars \d+-\d+: "')


# the wire format (the fields qa reads; any other request field is accepted and ignored)


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(description="only `text` parts are read", examples=["text"])
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str = Field(description="user and assistant are read; others ignored", examples=["user"])
    content: str | list[ContentPart] | None = None


class ChatCompletionRequest(BaseModel):
    """A chat: the last user message is the question, earlier turns the history."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(default=MODEL_ID, description="Any name; echoed back.")
    messages: list[ChatMessage] = Field(
        examples=[[{"role": "user", "content": "Which leaders did Putin call?"}]]
    )
    stream: bool | None = False
    stream_options: dict[str, Any] | None = Field(default=None, examples=[{"include_usage": True}])


class ReplyMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str = Field(description="The answer with [n] markers, then one footnote per citation.")


class CompletionChoice(BaseModel):
    index: int = 0
    message: ReplyMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):  # rough: words, not tokens
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """A `chat.completion`; `citations`, `answered` and `notes` are qa's additions."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage
    citations: list[Citation] = Field(description="source_text[start:end] == text, as [n].")
    answered: bool = Field(description="False when the documents don't answer the question.")
    notes: list[str] = []


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "qa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """Why a request was refused, as OpenAI reports it."""

    error: ErrorBody


class Refused(Exception):
    """A request refused with an OpenAI error object."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", **more: str):
        super().__init__(message)
        self.status = status
        self.error = {"message": message, "type": kind, "param": None, "code": None, **more}

    def body(self) -> dict[str, Any]:
        return {"error": self.error}

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Basic, Bearer"} if self.status == 401 else None
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


# messages in, content out (pure functions)


def message_text(message: ChatMessage) -> str:
    """A message's text: the string, or its text parts joined by newlines."""
    if isinstance(message.content, str):
        return message.content
    return "\n".join(part.text or "" for part in message.content or () if part.type == "text")


def unfootnoted(content: str) -> str:
    """An earlier reply of ours without its footnotes (and any streamed draft before a revision)."""
    content = content.rpartition(REVISED)[2]
    found = _FOOTNOTES.search(content)
    return content[: found.start()] if found else content


def conversation(messages: Sequence[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The last user message, and the (question, answer) pairs before it; Refused when there is
    no user message."""
    users = [i for i, message in enumerate(messages) if message.role == "user"]
    if not users:
        raise Refused(400, "messages: there is no user message to answer", param="messages")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for message in messages[: users[-1]]:
        if message.role == "user":
            if pending is not None:
                history.append((pending, ""))
            pending = message_text(message)
        elif message.role == "assistant" and pending is not None:
            history.append((pending, unfootnoted(message_text(message))))
            pending = None
    if pending is not None:
        history.append((pending, ""))
    turns = [(q[:MAX_TURN_CHARS], a[:MAX_TURN_CHARS]) for q, a in history[-MAX_HISTORY_TURNS:]]
    return message_text(messages[users[-1]]), turns


def footnotes(citations: Sequence[Citation]) -> str:
    """The cited passages after a blank line, one `[n] source, chars a-b: "quote"` line each."""
    lines = [c.footnote() for c in citations]
    return "\n\n" + "\n".join(lines) if lines else ""


def content(answer: Answer) -> str:
    """The reply's text: the answer with its [n] markers, then the footnotes."""
    return answer.text + footnotes(answer.citations)


class Deltas:
    """The pieces to stream so that the client's text grows with the answer and, joined, is
    ``content(final)`` unless verification rewrote text already sent (then REVISED follows,
    and the whole final content after it)."""

    def __init__(self) -> None:
        self.sent = ""

    def partial(self, text: str) -> str:
        """What to send for a partial answer text: the new end, or nothing if it does not extend
        what was sent."""
        safe = _UNFINISHED.sub("", text)
        if len(safe) <= len(self.sent) or not safe.startswith(self.sent):
            return ""
        delta, self.sent = safe[len(self.sent) :], safe
        return delta

    def final(self, answer: Answer) -> list[str]:
        """The rest of the final answer's text, then its footnotes."""
        kept = answer.text.startswith(self.sent)
        rest = answer.text[len(self.sent) :] if kept else REVISED + answer.text
        return [piece for piece in (rest, footnotes(answer.citations)) if piece]


def usage(prompt: str, completion: str) -> dict[str, int]:
    """Rough counts: words, not tokens."""
    asked, said = len(prompt.split()), len(completion.split())
    return {"prompt_tokens": asked, "completion_tokens": said, "total_tokens": asked + said}


def extras(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [c.to_dict() for c in answer.citations],
        "answered": answer.answered,
        "notes": list(answer.notes),
    }


# the routes


class OpenAIRoute(APIRoute):
    """A route whose refusals are OpenAI error objects (400 for a bad body, not FastAPI's 422)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Refused as exc:
                return exc.response()
            except RequestValidationError as exc:
                message, param = _problem(exc)
                return Refused(400, message, param=param).response()
            except HTTPException as exc:
                return Refused(exc.status_code, str(exc.detail)).response()

        return route


def _problem(exc: RequestValidationError) -> tuple[str, str]:
    """One line for a bad body, and the parameter at fault."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return "The body is not valid JSON", "body"
    where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "body"
    return f"{where}: {first.get('msg', 'invalid')}"[:500], where


def _given(header: str) -> tuple[str, str] | None:
    """The user and password from `Basic base64(user:password)` or `Bearer user:password`."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    elif scheme.lower() != "bearer":
        return None
    user, sep, password = value.strip().partition(":")
    return (user, password) if sep else None


def check_auth(request: Request, credentials: tuple[str, str] | None) -> None:
    """Refused (401) unless auth is off or the request carries the configured user:password."""
    if credentials is None:
        return
    if not same_login(_given(request.headers.get("authorization", "")), credentials):
        raise Refused(
            401,
            "Give the server's QA_AUTH user:password as the API key (or HTTP basic auth)",
            code="invalid_api_key",
        )


def add_openai_routes(app: FastAPI, assistant: Assistant, settings: Settings) -> None:
    """Add the OpenAI-compatible routes to app (before the chat page is mounted at `/`)."""
    credentials = parse_auth(settings.auth)
    created = int(time.time())
    router = APIRouter(route_class=OpenAIRoute, tags=["OpenAI-compatible"])
    limiter: list[CapacityLimiter] = []  # made in the event loop, on first use

    async def blocking(call: Callable[..., Any], *args: Any) -> Any:
        if not limiter:
            limiter.append(CapacityLimiter(ASK_CONCURRENCY))
        return await to_thread.run_sync(call, *args, limiter=limiter[0])

    errors: dict[int | str, dict[str, Any]] = {
        400: {"model": ErrorResponse, "description": "No user message, a bad body, empty question"},
        503: {"model": ErrorResponse, "description": "The store cannot be reached"},
        "default": {"model": ErrorResponse, "description": "Any other failure"},
    }
    if credentials:
        errors[401] = {"model": ErrorResponse, "description": "Missing or wrong user:password"}
    stream_doc = {
        "description": "A chat.completion, or with stream: true `chat.completion.chunk` events",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }

    @router.get(
        "/v1/models",
        response_model=ModelList,
        responses={401: errors[401]} if credentials else {},
        summary="The one model name qa answers as (any name is accepted)",
    )
    def models(request: Request) -> dict[str, Any]:
        check_auth(request, credentials)
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": created}]}

    @router.post(
        "/v1/chat/completions",
        response_model=ChatCompletion,
        responses={**errors, 200: stream_doc},
        summary="Answer the chat's last user message from the documents (stream: SSE chunks)",
    )
    async def chat_completions(request: Request, body: ChatCompletionRequest) -> Any:
        """The answer with [n] markers and footnotes; the citations in the top-level `citations`.
        System messages are ignored; earlier user/assistant turns are the history."""
        check_auth(request, credentials)
        question, history = conversation(body.messages)
        reply_id, now = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        answers: Iterator[Answer] = assistant.stream(question, history)
        first = await blocking(_next, answers)  # refusals happen here, before any byte is sent
        if first is None:
            raise Refused(500, "The assistant gave no answer", "server_error")
        if not body.stream:
            final = first
            while (item := await blocking(_next, answers)) is not None:
                final = item
            text = content(final)
            return {
                "id": reply_id,
                "created": now,
                "model": body.model,
                "choices": [{"message": {"content": text}}],
                "usage": usage(" ".join([question, *(q + " " + a for q, a in history)]), text),
                **extras(final),
            }

        def chunk(delta: dict[str, Any] | None, finish: str | None = None, **more: Any) -> str:
            data = {
                "id": reply_id,
                "object": "chat.completion.chunk",
                "created": now,
                "model": body.model,
                "choices": []
                if delta is None
                else [{"index": 0, "delta": delta, "finish_reason": finish}],
                **more,
            }
            return f"data: {json.dumps(data)}\n\n"

        async def events() -> AsyncIterator[str]:
            deltas = Deltas()
            yield chunk({"role": "assistant", "content": ""})
            try:
                item, final = first, first
                while item is not None:
                    final = item
                    if piece := deltas.partial(item.text):
                        yield chunk({"content": piece})
                    item = await blocking(_next, answers)
                for piece in deltas.final(final):
                    yield chunk({"content": piece})
                yield chunk({}, "stop", **extras(final))
                if (body.stream_options or {}).get("include_usage"):
                    yield chunk(None, usage=usage(question, content(final)))
                yield "data: [DONE]\n\n"
            except Refused as exc:  # after the headers were sent: the error as an event
                yield f"data: {json.dumps(exc.body())}\n\n"
            finally:
                getattr(answers, "close", lambda: None)()  # a generator: release what it holds

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    app.include_router(router)


def _next(answers: Iterator[Answer]) -> Answer | None:
    """The next answer, or None at the end; the assistant's refusals as Refused."""
    try:
        return next(answers, None)
    except QuestionError as exc:
        raise Refused(400, str(exc), param="messages", code="invalid_question") from None
    except StoreUnavailable as exc:
        raise Refused(503, str(exc), "server_error", code="store_unavailable") from None
    except QAError as exc:
        log.warning("chat completion failed: %s", exc)
        raise Refused(500, str(exc), "server_error") from None
