"""The Bolt app: acknowledge each mention or DM at once, then answer (or index its files) in
its thread."""

from __future__ import annotations

import logging
import threading
import traceback
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qa import Assistant, QuestionError
from qa.errors import UploadRefused
from ui.limits import RateLimit, check_upload_rate
from ui.slack_config import SlackConfig, SlackConfigError, redact
from ui.slack_files import index_shared, shared_files
from ui.slack_messages import asks, is_question, question_text, thread_history
from ui.slack_render import (
    APOLOGY,
    UPLOAD_APOLOGY,
    answer_message,
    notice_message,
    upload_message,
)

if TYPE_CHECKING:
    from slack_bolt import App, BoltContext
    from slack_sdk import WebClient

log = logging.getLogger("ui.slack")
WORKING_REACTION = "eyes"
FILES_OFF = "Files shared with me are not indexed: file uploads are turned off for this bot."
FILES_ONLY_IN_DMS = "I index files only when they are shared in a direct message with me."
RATE_LIMIT_RETRIES = 3  # a 429 is retried after its Retry-After seconds, up to this many times


class SeenEvents:
    """Keys of the events already taken, so a retried or doubled event is answered once."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def first(self, *keys: str) -> bool:
        """True the first time any of these keys is seen; False if one was seen before."""
        with self._lock:
            if any(key in self._keys for key in keys if key):
                return False
            for key in keys:
                if key:
                    self._keys[key] = None
            while len(self._keys) > self._capacity:
                self._keys.popitem(last=False)
            return True


class _SameToken(logging.Filter):
    """Drop Bolt's warning that SLACK_BOT_TOKEN (which Bolt reads itself) yields to our client."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in str(record.msg)


def quiet_logger() -> logging.Logger:
    """Bolt's base logger, at WARNING: at INFO Bolt logs whole request bodies."""
    logger = logging.getLogger("ui.slack.bolt")
    logger.setLevel(logging.WARNING)
    if not logger.filters:
        logger.addFilter(_SameToken())
    return logger


def build_app(assistant: Assistant, config: SlackConfig) -> App:
    """A Bolt app answering `app_mention` and `message.im` events with ``assistant``."""
    from slack_bolt import App
    from slack_sdk import WebClient

    client = WebClient(
        token=config.bot_token,
        base_url=config.api_url,
        logger=quiet_logger(),
        retry_handlers=retry_handlers(),
    )
    identity = check_token(client, config)
    log.info("connected to Slack as %s (%s)", identity.get("user"), identity.get("team"))
    app = App(
        name="qa",
        client=client,
        signing_secret=config.signing_secret,
        request_verification_enabled=config.http,
        token_verification_enabled=False,
        logger=quiet_logger(),
    )
    answerer = Answerer(assistant, config.secrets(), file_uploads=config.file_uploads)
    if config.file_uploads and not assistant.settings.uploads:
        log.warning("SLACK_FILE_UPLOADS is on but QA_UPLOADS=false: shared files are not indexed")
    elif answerer.file_uploads:
        log.info("files shared in a DM with the bot are indexed (SLACK_FILE_UPLOADS)")
    app.event("app_mention")(ack=_ack, lazy=[answerer.on_mention])
    app.event("message")(ack=_ack, lazy=[answerer.on_message])
    return app


def retry_handlers() -> list[Any]:
    """slack_sdk's own retries: a dropped connection once, a 429 after its Retry-After.

    Bolt copies these onto the client each listener gets, so every Web API call has them.
    """
    from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

    return [
        ConnectionErrorRetryHandler(),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


def check_token(client: WebClient, config: SlackConfig) -> Mapping[str, Any]:
    """auth.test, turned into a start-up error that says what to fix."""
    from slack_sdk.errors import SlackApiError

    try:
        return client.auth_test().data  # type: ignore[return-value]
    except SlackApiError as exc:
        reason = exc.response.get("error", "unknown error")
        raise SlackConfigError(
            f"Slack rejected SLACK_BOT_TOKEN ({reason}): reinstall the app to your workspace "
            "and copy its Bot User OAuth Token again"
        ) from None
    except OSError as exc:
        raise SlackConfigError(
            f"Cannot reach Slack's Web API at {config.api_url} ({redact(str(exc))}): "
            "check the network or SLACK_API_URL"
        ) from None


def _ack(ack: Any) -> None:
    ack()


class Answerer:
    """The lazy listeners: work out the question, ask the assistant, reply in the thread; with
    ``file_uploads`` (and the assistant's uploads on), index the files shared in a DM."""

    def __init__(
        self, assistant: Assistant, secrets: tuple[str, ...] = (), file_uploads: bool = False
    ) -> None:
        self.assistant = assistant
        self.seen = SeenEvents()
        self._secrets = secrets
        self.file_uploads = file_uploads and assistant.settings.uploads
        self.upload_limit = RateLimit(assistant.settings.uploads_per_minute)

    def on_mention(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        self.answer(body, client, context)

    def on_message(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        event = body.get("event") or {}
        if event.get("channel_type") != "im":
            return
        if self.file_uploads and shared_files(event):
            self.add_files(body, client, context)
        else:
            self.answer(body, client, context)

    def answer(self, body: Mapping[str, Any], client: WebClient, context: BoltContext) -> None:
        event = body.get("event") or {}
        taken = self._take(body, client, context)
        if taken is None:
            return
        channel, ts, thread_ts = taken
        question = question_text(event.get("text", ""))
        if shared_files(event) and not question:
            reply = notice_message(FILES_ONLY_IN_DMS if self.file_uploads else FILES_OFF)
        else:
            reply = self._answer(body, client, context, question, channel, thread_ts, ts)
        self._post(client, channel, thread_ts, reply)

    def add_files(self, body: Mapping[str, Any], client: WebClient, context: BoltContext) -> None:
        """Index the files of a DM and reply with what became of each; then answer the
        message's text if it asks a question (ends with a question mark)."""
        event = body.get("event") or {}
        taken = self._take(body, client, context)
        if taken is None:
            return
        channel, ts, thread_ts = taken
        try:
            check_upload_rate(self.upload_limit, str(event.get("user")))
            results = index_shared(self.assistant, client, shared_files(event))
            kept = sum(r.status != "failed" for r in results)
            log.info("indexed %d of %d files shared in %s", kept, len(results), channel)
            reply = upload_message(results)
        except UploadRefused as exc:
            reply = notice_message(f"{exc}.")
        except Exception as exc:
            self._log_failure(f"could not index the files of {body.get('event_id')}", exc)
            reply = notice_message(UPLOAD_APOLOGY)
        self._post(client, channel, thread_ts, reply)
        question = question_text(event.get("text", ""))
        if asks(question):
            reply = self._answer(body, client, context, question, channel, thread_ts, ts)
            self._post(client, channel, thread_ts, reply)

    def _take(
        self, body: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> tuple[str, str, str] | None:
        """(channel, ts, thread_ts) of a person's message seen for the first time, marked as
        being worked on; None for anything else (bots, edits, retried or doubled events)."""
        event = body.get("event") or {}
        if not is_question(event, context.bot_user_id):
            return None
        channel, ts = str(event.get("channel", "")), str(event["ts"])
        event_id = str(body.get("event_id", ""))
        if not channel or not self.seen.first(event_id, f"{channel}/{ts}"):
            return None
        self._call(client.reactions_add, channel=channel, timestamp=ts, name=WORKING_REACTION)
        return channel, ts, str(event.get("thread_ts") or ts)

    def _answer(
        self,
        body: Mapping[str, Any],
        client: WebClient,
        context: BoltContext,
        question: str,
        channel: str,
        thread_ts: str,
        ts: str,
    ) -> dict[str, Any]:
        try:
            history = self._history(client, context, channel, thread_ts, ts)
            return answer_message(self.assistant.ask(question, history))
        except QuestionError as exc:
            return notice_message(f"{exc}.")
        except Exception as exc:
            self._log_failure(f"could not answer event {body.get('event_id')} in {channel}", exc)
            return notice_message(APOLOGY)

    def _post(self, client: WebClient, channel: str, thread_ts: str, reply: Any) -> None:
        self._call(
            client.chat_postMessage,
            channel=channel,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **reply,
        )

    def _history(
        self, client: WebClient, context: BoltContext, channel: str, thread_ts: str, ts: str
    ) -> list[tuple[str, str]]:
        if thread_ts == ts:
            return []
        response = self._call(
            client.conversations_replies, channel=channel, ts=thread_ts, limit=200
        )
        if response is None:
            return []
        messages = response.get("messages") or []
        return thread_history(messages, context.bot_user_id, context.bot_id, before=ts)

    def _call(self, method: Any, **kwargs: Any) -> Any:
        """A Web API call whose failure is logged, not raised: the answer still goes out."""
        try:
            return method(**kwargs)
        except Exception as exc:
            self._log_failure(f"Slack call {method.__name__} failed", exc)
            return None

    def _log_failure(self, what: str, exc: BaseException) -> None:
        detail = "".join(traceback.format_exception(exc)).rstrip()
        log.error("%s:\n%s", what, redact(detail, self._secrets))
