"""One web server: the HTTP API routes first, the Gradio chat page mounted at `/`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from qa import Assistant, Settings, build_assistant

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ui.workers import AnswerPool

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "monospace"]


def create_app(
    settings: Settings, assistant: Assistant | None = None, pool: AnswerPool | None = None
) -> FastAPI:
    """The ASGI app: `/api/ask`, `/healthz`, `/docs` and the chat page at `/`; with a
    ``pool``, its worker processes answer `/api/ask` (the page, documents and the rest stay
    on ``assistant``)."""
    from ui.offline import quiet

    quiet()
    import gradio as gr

    from qa import bundled_article
    from ui.chat_page import EXAMPLES, build_page
    from ui.http_api import create_api, parse_auth
    from ui.limits import RateLimit
    from ui.openai_api import add_openai_routes
    from ui.style import CSS, SCRIPT

    assistant = assistant or build_assistant(settings)
    credentials = parse_auth(settings.auth)
    bundled = bundled_article().name
    examples = EXAMPLES if any(r.source == bundled for r in assistant.sources()) else ()
    upload_limit = RateLimit(settings.uploads_per_minute)  # one count for page and API
    app = create_api(assistant, settings, upload_limit, pool)
    add_openai_routes(app, assistant, settings)
    theme = gr.themes.Soft(primary_hue="indigo", font=SYSTEM_FONTS, font_mono=MONO_FONTS)
    return gr.mount_gradio_app(  # type: ignore[no-any-return]
        app,
        build_page(assistant, examples, upload_limit),
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        auth=credentials,
        auth_message="Log in with the user and password from QA_AUTH.",
        footer_links=["api"],
        run_history=False,
        theme=theme,
        css=CSS,
        js=SCRIPT,
        ssr_mode=False,
        max_file_size=None if settings.uploads else 1,  # read-only: Gradio keeps no uploads
        mcp_server=False,
    )


def serve(settings: Settings) -> None:
    """Build the app (indexing the bundled article on first run), then serve until Ctrl-C;
    with ``settings.workers`` > 1, that many worker processes answer `/api/ask`."""
    import uvicorn

    from ui.workers import AnswerPool

    assistant = build_assistant(settings)
    pool = AnswerPool(settings, settings.workers) if settings.workers > 1 else None
    try:
        app = create_app(settings, assistant, pool)
        if pool is not None:
            pool.start()  # after the bundled article is indexed: the workers only read
        assistant.warm()  # loads the models and lexical index before the first visitor (no LLM)
        if pool is not None:
            pool.wait_until_ready()
        url = f"http://{settings.host}:{settings.port}"
        workers = f" ({settings.workers} workers answer /api/ask)" if pool else ""
        print(f"qa: chat page on {url}/  HTTP API docs on {url}/docs{workers}", file=sys.stderr)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            timeout_graceful_shutdown=3,
        )
    finally:
        if pool is not None:
            pool.close()  # no worker outlives the server
