"""The HTTP API for other programs: `POST /api/ask`, the documents and `GET /healthz`, with an
OpenAPI schema."""

import logging
import secrets
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field

from qa import Assistant, Citation, QAError, QuestionError, Settings, StoreUnavailable
from ui.documents_api import NO_FILES, documents_router
from ui.limits import RateLimit
from ui.workers import AnswerPool, WorkerLost

log = logging.getLogger(__name__)

ASK_CONCURRENCY = 8
MAX_HISTORY_TURNS = 50
MAX_TURN_CHARS = 20_000

Turn = tuple[
    Annotated[str, Field(max_length=MAX_TURN_CHARS)],
    Annotated[str, Field(max_length=MAX_TURN_CHARS)],
]


# at least one letter or digit, in any script: what qa.questions.check_question asks of it
QUESTION_PATTERN = r"[^\W_]"


def ask_request(max_chars: int) -> type[BaseModel]:
    """The request body, with the server's question limit in its schema."""

    class AskRequest(BaseModel):
        """A question, and the conversation so far for follow-ups."""

        model_config = ConfigDict(regex_engine="python-re")  # \w as qa.questions reads it

        question: str = Field(
            min_length=1,
            max_length=max_chars,
            pattern=QUESTION_PATTERN,
            description=f"The question: with a word in it, at most {max_chars} characters.",
            examples=["Which leaders did Putin call?"],
        )
        history: list[Turn] = Field(
            default_factory=list,
            max_length=MAX_HISTORY_TURNS,
            description="Earlier [question, answer] pairs, oldest first.",
            examples=[[["Which leaders did Putin call?", "Putin told President Emmanuel Macron…"]]],
        )

    return AskRequest


class AskResponse(BaseModel):
    """The same JSON as `qa ask --json`."""

    answer: str
    answered: bool = Field(description="False when the documents don't answer the question.")
    citations: list[Citation]  # the dataclass itself: one definition of a citation
    question: str
    search_query: str
    backend: str
    notes: list[str]
    unsupported: list[list[int]] = Field(
        default=[], description="Character spans of `answer` that no cited passage supports."
    )


class Problem(BaseModel):
    """Why a request was refused, in one line."""

    detail: str = Field(examples=["The question is empty: type a question about the documents"])


class Health(BaseModel):
    status: str
    sources: int


def parse_auth(auth: str) -> tuple[str, str] | None:
    """``"user:password"`` from settings as a pair; None when auth is off."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise QAError("QA_AUTH must look like user:password (or be empty for no login)")
    return user, password


def same_login(given: tuple[str, str] | None, credentials: tuple[str, str]) -> bool:
    """Whether a (user, password) given matches the configured one, in constant time."""
    return given is not None and all(
        secrets.compare_digest(a.encode(), b.encode())
        for a, b in zip(given, credentials, strict=True)
    )


def _guard(credentials: tuple[str, str]) -> Any:
    """A dependency that demands HTTP basic auth when credentials are configured."""
    basic = HTTPBasic(auto_error=False)

    def check(given: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> None:
        login = None if given is None else (given.username, given.password)
        if not same_login(login, credentials):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "Log in with the server's user and password (HTTP basic auth)",
                headers={"WWW-Authenticate": "Basic"},
            )

    return check


def api_router(
    assistant: Assistant,
    settings: Settings,
    upload_limit: RateLimit | None = None,
    pool: AnswerPool | None = None,
) -> APIRouter:
    """The routes, bound to one assistant; mounted before the chat page so they win.
    ``upload_limit`` counts uploads per client (pass the chat page's to share one count);
    with a ``pool``, its worker processes answer `/api/ask`."""
    router = APIRouter()

    def answer(question: str, history: list[tuple[str, str]]) -> dict[str, Any]:
        if pool is not None:
            return pool.ask(question, history)
        return assistant.ask(question, history).to_dict()

    slots = threading.BoundedSemaphore(ASK_CONCURRENCY)
    credentials = parse_auth(settings.auth)
    guards = [Depends(_guard(credentials))] if credentials else []
    request_model = ask_request(settings.max_question_chars)
    responses: dict[int | str, dict[str, Any]] = {
        400: {"model": Problem, "description": "The body is not JSON"},
        422: {"model": Problem, "description": "Empty or over-long question, bad history"},
        503: {"model": Problem, "description": "The store cannot be reached, a worker died"},
    }
    if credentials:
        responses[401] = {"model": Problem, "description": "Missing or wrong user and password"}

    @router.post(
        "/api/ask",
        response_model=AskResponse,
        dependencies=guards,
        responses=responses,
        summary="Answer a question from the indexed documents",
    )
    def ask(request: request_model) -> dict[str, Any]:  # type: ignore[valid-type]
        """Answer with verbatim citations; `answered` is false when the documents don't say."""
        history = [(str(turn[0]), str(turn[1])) for turn in request.history]  # type: ignore[attr-defined]
        try:
            with slots:
                return answer(request.question, history)  # type: ignore[attr-defined]
        except QuestionError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
        except (StoreUnavailable, WorkerLost) as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
        except QAError as exc:
            log.warning("ask failed: %s", exc)
            raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc)) from None

    @router.get(
        "/healthz",
        response_model=Health,
        responses={503: {"model": Problem, "description": "The store cannot be reached"}},
        summary="Liveness and readiness",
    )
    def healthz() -> dict[str, Any]:
        try:
            return {"status": "ok", "sources": len(assistant.sources())}
        except QAError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None

    router.include_router(documents_router(assistant, settings, guards, Problem, upload_limit))
    return router


def create_api(
    assistant: Assistant,
    settings: Settings,
    upload_limit: RateLimit | None = None,
    pool: AnswerPool | None = None,
) -> FastAPI:
    """A FastAPI app with only the HTTP API (the chat page is mounted on it by ui.server);
    with a ``pool``, its worker processes answer `/api/ask`."""
    app = FastAPI(
        title="qa",
        summary="Ask questions of your documents; answers quote them verbatim, with citations.",
        version="0.1.0",
    )
    app.include_router(api_router(assistant, settings, upload_limit, pool))

    @app.exception_handler(RequestValidationError)
    def refuse(request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with one line a person can act on, in the assistant's own words when the
        question is at fault."""
        return JSONResponse({"detail": _one_line(assistant, exc)}, status_code=422)

    return app


def _one_line(assistant: Assistant, exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            problems.append("The body is not valid JSON")
            continue
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "body"
        if where == "files" and error.get("type") == "missing":
            problems.append(NO_FILES)
            continue
        if where == "question" and isinstance(error.get("input"), str):
            try:
                assistant.check_question(error["input"])
            except QuestionError as refused:
                problems.append(str(refused))
                continue
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(dict.fromkeys(problems))[:500]
