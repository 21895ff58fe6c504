"""One web server: the HTTP API routes first, the Gradio chat page mounted at `/`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from qa import Assistant, Settings, build_assistant

if TYPE_CHECKING:
    from fastapi import FastAPI

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "monospace"]


def create_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The ASGI app: `/api/ask`, `/healthz`, `/docs` and the chat page at `/`."""
    from ui.offline import quiet

    quiet()
    import gradio as gr

    from qa import bundled_article
    from ui.chat_page import EXAMPLES, build_page
    from ui.http_api import create_api, parse_auth
    from ui.limits import RateLimit
    from ui.openai_api import add_openai_routes
    from ui.style import CSS

    assistant = assistant or build_assistant(settings)
    credentials = parse_auth(settings.auth)
    bundled = bundled_article().name
    examples = EXAMPLES if any(r.source == bundled for r in assistant.sources()) else ()
    upload_limit = RateLimit(settings.uploads_per_minute)  # one count for page and API
    app = create_api(assistant, settings, upload_limit)
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
        ssr_mode=False,
        max_file_size=None if settings.uploads else 1,  # read-only: Gradio keeps no uploads
        mcp_server=False,
    )


def serve(settings: Settings) -> None:
    """Build the app (indexing the bundled article on first run), then serve until Ctrl-C."""
    import uvicorn

    assistant = build_assistant(settings)
    app = create_app(settings, assistant)
    assistant.warm()  # loads the models and lexical index before the first visitor (no LLM)
    url = f"http://{settings.host}:{settings.port}"
    print(f"qa: chat page on {url}/  HTTP API docs on {url}/docs", file=sys.stderr)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )
