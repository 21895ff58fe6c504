"""The Slack bot's credentials and mode, read from SLACK_* variables and checked at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from qa import QAError

DEFAULT_API_URL = "https://slack.com/api/"
_BOT_TOKEN = re.compile(r"xoxb-[A-Za-z0-9-]+")
_APP_TOKEN = re.compile(r"xapp-[A-Za-z0-9-]+")
_SECRET = re.compile(r"[A-Za-z0-9]{16,}")
_ANY_TOKEN = re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9-]+")


class SlackConfigError(QAError):
    """A Slack token or setting is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class SlackConfig:
    """Credentials for one workspace. Secrets never appear in the repr."""

    bot_token: str = field(repr=False)
    app_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    api_url: str = DEFAULT_API_URL
    http: bool = False
    file_uploads: bool = False  # files shared in a DM with the bot are indexed

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, http: bool = False) -> SlackConfig:
        """Read SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL and
        SLACK_FILE_UPLOADS.

        Socket Mode when an app token is set, unless ``http`` asks for HTTP events; HTTP
        events also when only a signing secret is set.
        """
        env = os.environ if env is None else env
        bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
        app_token = env.get("SLACK_APP_TOKEN", "").strip()
        secret = env.get("SLACK_SIGNING_SECRET", "").strip()
        api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
        use_http = http or (not app_token and bool(secret))
        uploads = _switch("SLACK_FILE_UPLOADS", env.get("SLACK_FILE_UPLOADS", ""))
        config = cls(bot_token, app_token, secret, _api_url(api_url), use_http, uploads)
        config.check()
        return config

    @property
    def mode(self) -> str:
        return "HTTP events" if self.http else "Socket Mode"

    def check(self) -> None:
        """Raise SlackConfigError naming the first missing or malformed value."""
        if not self.bot_token:
            raise SlackConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your "
                "Slack app's OAuth & Permissions page"
            )
        if not _BOT_TOKEN.fullmatch(self.bot_token):
            raise SlackConfigError(
                "SLACK_BOT_TOKEN is not a bot token: it should start with xoxb- "
                "(OAuth & Permissions > Bot User OAuth Token)"
            )
        if self.http:
            if not self.signing_secret:
                raise SlackConfigError(
                    "SLACK_SIGNING_SECRET is not set: HTTP events need the Signing Secret from "
                    "Basic Information > App Credentials (or set SLACK_APP_TOKEN for Socket Mode)"
                )
            if not _SECRET.fullmatch(self.signing_secret):
                raise SlackConfigError(
                    "SLACK_SIGNING_SECRET is malformed: paste the Signing Secret from Basic "
                    "Information > App Credentials (letters and digits, not a token)"
                )
            return
        if not self.app_token:
            raise SlackConfigError(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...) with "
                "the connections:write scope, or set SLACK_SIGNING_SECRET and run `qa slack --http`"
            )
        if not _APP_TOKEN.fullmatch(self.app_token):
            raise SlackConfigError(
                "SLACK_APP_TOKEN is not an app-level token: it should start with xapp- "
                "(Basic Information > App-Level Tokens)"
            )

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.bot_token, self.app_token, self.signing_secret) if s)


def _api_url(url: str) -> str:
    if not re.match(r"https?://[^/\s]+", url):
        raise SlackConfigError(
            f"SLACK_API_URL={url!r} is not a URL: use e.g. https://slack.com/api/ or a proxy's URL"
        )
    return url if url.endswith("/") else url + "/"


def _switch(name: str, raw: str) -> bool:
    """An on/off variable: true/1/yes/on or false/0/no/off (unset or empty is off)."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise SlackConfigError(f"{name}={raw!r} is not a valid bool: use true or false")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """The text with Slack tokens and the given secrets replaced by '[redacted]'."""
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return _ANY_TOKEN.sub("[redacted]", text)
