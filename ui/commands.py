"""The `qa serve` and `qa slack` commands, plugged into the qa CLI through entry points."""

from __future__ import annotations

import argparse

from qa import Settings


def serve_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="the chat page and HTTP API (http://127.0.0.1:7860)")
    p.add_argument("--host", help="address to bind (default 127.0.0.1, env QA_HOST)")
    p.add_argument("--port", type=int, help="port (default 7860, env QA_PORT)")
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes answering /api/ask (default 1: the server itself, env QA_WORKERS)",
    )
    p.set_defaults(run=_serve)


def slack_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("slack", help="run the Slack bot (needs SLACK_BOT_TOKEN and an app token)")
    p.add_argument("--http", action="store_true", help="receive events over HTTP, not Socket Mode")
    p.add_argument("--port", type=int, default=3000, help="port for --http (default 3000)")
    p.set_defaults(run=_slack)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from ui.server import serve

    serve(
        settings.with_(
            **{k: v for k in ("host", "port", "workers") if (v := getattr(args, k)) is not None}
        )
    )
    return 0


def _slack(settings: Settings, args: argparse.Namespace) -> int:
    from ui.slack_bot import run_bot

    run_bot(settings, http=args.http, port=args.port)
    return 0
