"""`qa slack`: run the Slack bot over Socket Mode or HTTP events."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from qa import QAError, Settings, build_assistant
from ui.slack_config import SlackConfig, redact

log = logging.getLogger("ui.slack")
INSTALL = "pip install 'qa[slack]'"


class _Redacting(logging.Filter):
    """Scrub tokens from every record a handler writes, whichever library logged it."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(secrets: tuple[str, ...]) -> None:
    """INFO for our own lines, WARNING for the Slack libraries, tokens scrubbed everywhere."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in ("slack_bolt", "slack_sdk"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_Redacting(secrets))


def run_bot(
    settings: Settings, http: bool = False, port: int = 3000, env: Mapping[str, str] | None = None
) -> None:
    """Answer mentions and DMs until interrupted; QAError for missing or bad configuration."""
    try:
        import slack_bolt  # noqa: F401
    except ImportError:
        raise QAError(f"The Slack bot needs slack-bolt: {INSTALL}") from None
    if http:
        try:
            import uvicorn  # noqa: F401
        except ImportError:
            raise QAError(f"`qa slack --http` needs uvicorn: {INSTALL}") from None
    from ui.slack_app import build_app

    config = SlackConfig.from_env(os.environ if env is None else env, http=http)
    configure_logging(config.secrets())
    assistant = build_assistant(settings)
    app = build_app(assistant, config)  # checks the bot token with auth.test first
    assistant.sources()  # open the store and load the model before the first question
    if config.http:
        from ui.slack_http import EVENTS_PATH, make_server

        server = make_server(app, settings.host, port)
        host, bound = server.address
        log.info("listening for Slack events on http://%s:%d%s", host, bound, EVENTS_PATH)
        server.serve_forever()
        return
    log.info("connecting to Slack over Socket Mode")
    socket_mode_handler(app, config).start()


def socket_mode_handler(app: Any, config: SlackConfig) -> Any:
    """Bolt's Socket Mode handler; it opens its connection through the app's WebClient."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token=config.app_token, web_client=app.client)
