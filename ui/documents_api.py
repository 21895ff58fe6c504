"""The documents HTTP API: POST /api/documents, GET /api/sources, DELETE /api/sources/{name}."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations, which use
# the settings, at run time.

import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Request, Response, UploadFile, params, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from index.loading import READABLE_TYPES
from qa import Assistant, QAError, Settings, SourceError, StoreUnavailable
from qa.errors import UploadRefused
from qa.uploads import UPLOADS_OFF, too_many
from ui.limits import RateLimit, check_upload_rate, client_key

log = logging.getLogger(__name__)

MB = 2**20
BODY_SLACK = MB  # multipart boundaries and headers, beyond the files themselves
NO_FILES = (
    f"No files given: send one or more {READABLE_TYPES} files in the field `files` "
    "(multipart/form-data)"
)


class UploadOutcome(BaseModel):
    """What became of one uploaded file."""

    file: str = Field(description="The file name as sent.")
    source: str = Field(description="Its source name as `qa sources` lists it; empty if failed.")
    status: str = Field(
        description="added, updated, unchanged or failed", examples=["added", "failed"]
    )
    chunks: int = Field(description="Passages indexed for it (0 when failed).")
    error: str = Field(default="", description="Why it failed, one line; empty otherwise.")


class SourceInfo(BaseModel):
    """One indexed document (the server's file paths are not shown)."""

    source: str = Field(examples=["article.txt", "notes/a.md"])
    chunks: int = Field(description="How many passages it was split into.")
    indexed_at: datetime = Field(description="When it was last indexed (UTC).")


class Removed(BaseModel):
    """The source that was removed, and how many passages went with it."""

    source: str
    chunks: int


def body_limit(settings: Settings) -> int:
    """The largest body an acceptable upload can need: every file at the size limit."""
    return settings.max_upload_files * (settings.max_upload_bytes + 1) + BODY_SLACK


def read_capped(upload: UploadFile, limit: int) -> bytes:
    """At most limit + 1 bytes of an upload: enough for the core to see it is over the limit,
    without holding a huge file in memory (Starlette spools the part to disk)."""
    return upload.file.read(limit + 1)


def refuse(code: int, detail: str, **headers: str) -> HTTPException:
    return HTTPException(code, detail, headers=headers or None)


def documents_router(
    assistant: Assistant,
    settings: Settings,
    guards: Sequence[params.Depends],
    problem: type[BaseModel],
    limit: RateLimit | None = None,
) -> APIRouter:
    """The documents routes, bound to one assistant and the server's settings; ``guards``
    demand the login when QA_AUTH is set, ``problem`` is the model of a refusal, ``limit``
    counts uploads per client."""
    limit = limit or RateLimit(settings.uploads_per_minute)
    max_body = body_limit(settings)

    class DocumentsRoute(APIRoute):
        """Refuses a POST whose declared body no acceptable upload needs, before reading it."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def checked(request: Request) -> Response:
                declared = request.headers.get("content-length", "")
                if request.method == "POST" and declared.isdigit() and int(declared) > max_body:
                    return JSONResponse(
                        {"detail": f"The upload is larger than {max_body // MB} MB in all"},
                        status_code=status.HTTP_413_CONTENT_TOO_LARGE,
                    )
                return await handler(request)

            return checked

    router = APIRouter(route_class=DocumentsRoute, tags=["Documents"], dependencies=list(guards))

    def described(description: str) -> dict[str, Any]:
        return {"model": problem, "description": description}

    common: dict[int | str, dict[str, Any]] = {
        503: described("The store cannot be reached"),
    }
    if guards:
        common[401] = described("Missing or wrong user and password")
    refused_off = described(UPLOADS_OFF)

    @router.post(
        "/api/documents",
        response_model=list[UploadOutcome],
        responses={
            **common,
            400: described("The body is not readable multipart/form-data"),
            403: refused_off,
            413: described("A body larger than QA_MAX_UPLOAD_FILES files at QA_MAX_UPLOAD_MB"),
            422: described("No files, more than QA_MAX_UPLOAD_FILES, or a part that is no file"),
            429: described("More uploads than QA_UPLOADS_PER_MINUTE from this client"),
        },
        summary="Add or update documents: one result per file",
        operation_id="add_documents",
    )
    def add_documents(
        request: Request,
        files: Annotated[
            list[UploadFile],
            File(
                description=f"{READABLE_TYPES} files; the field repeats, one per file",
                json_schema_extra={"minItems": 1, "maxItems": settings.max_upload_files},
            ),
        ],
    ) -> list[dict[str, Any]]:
        """Index the files (each under its base name); a file that cannot be read, or is over
        QA_MAX_UPLOAD_MB, fails alone with a one-line `error` while the others still index.
        The request is 200 whenever it was taken; each result says how its file fared."""
        if not settings.uploads:
            raise refuse(status.HTTP_403_FORBIDDEN, UPLOADS_OFF)
        if not files:
            raise refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, NO_FILES)
        if len(files) > settings.max_upload_files:
            raise refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, too_many(len(files), settings))
        try:
            check_upload_rate(limit, client_key(request))
        except UploadRefused as exc:
            retry = {"Retry-After": str(int(limit.window))}
            raise refuse(status.HTTP_429_TOO_MANY_REQUESTS, str(exc), **retry) from None
        cap = settings.max_upload_bytes
        given = [(upload.filename or "", read_capped(upload, cap)) for upload in files]
        try:
            return [result.to_dict() for result in assistant.add_files(given)]
        except UploadRefused as exc:  # the core's own limits, should the settings change
            raise refuse(status.HTTP_403_FORBIDDEN, str(exc)) from None
        except StoreUnavailable as exc:
            raise refuse(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
        except QAError as exc:
            log.warning("upload failed: %s", exc)
            raise refuse(status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc)) from None

    @router.get(
        "/api/sources",
        response_model=list[SourceInfo],
        responses=common,
        summary="The indexed documents",
        operation_id="list_sources",
    )
    def list_sources() -> list[dict[str, Any]]:
        """Each indexed source with its passage count and when it was indexed."""
        try:
            return [
                {
                    "source": r.source,
                    "chunks": r.chunks,
                    "indexed_at": datetime.fromtimestamp(r.indexed_at, UTC),
                }
                for r in assistant.sources()
            ]
        except QAError as exc:
            raise refuse(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None

    @router.delete(
        "/api/sources/{name:path}",
        response_model=Removed,
        responses={
            **common,
            403: described("Removal is turned off here with uploads (QA_UPLOADS=false)"),
            404: described("No source of that name is indexed"),
            422: described("The name is not a usable string"),
        },
        summary="Remove a document and its passages",
        operation_id="remove_source",
    )
    def remove_source(name: str) -> dict[str, Any]:
        """Remove the source named as `GET /api/sources` lists it (it may contain `/`); an
        uploaded file is deleted with it."""
        if not settings.uploads:
            raise refuse(
                status.HTTP_403_FORBIDDEN,
                "Documents cannot be removed here: uploads are turned off (QA_UPLOADS=false)",
            )
        try:
            chunks = {r.source: r.chunks for r in assistant.sources()}
            if name not in chunks:
                raise SourceError(f"No source named '{name}' is indexed")
            assistant.remove(name)
        except StoreUnavailable as exc:
            raise refuse(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
        except SourceError as exc:
            raise refuse(status.HTTP_404_NOT_FOUND, str(exc)[:500]) from None
        except QAError as exc:
            log.warning("removal failed: %s", exc)
            raise refuse(status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc)) from None
        return {"source": name, "chunks": chunks[name]}

    return router
