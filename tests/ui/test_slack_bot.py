"""The Slack bot end to end: the real Bolt app, signed events over HTTP, a fake Slack Web API."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.fake_slack import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    Call,
    FakeSlack,
    event_payload,
    send_event,
    wait_for,
)
from ui.slack_config import SlackConfig

pytestmark = pytest.mark.integration

QUESTION = "Which leaders did Putin call?"


def config_for(fake: FakeSlack) -> SlackConfig:
    return SlackConfig(BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.url, http=True)


def serve(
    assistant: Any, fake: FakeSlack, config: SlackConfig | None = None, **options: Any
) -> Iterator[str]:
    """The bot's events URL, served by the same server `qa slack --http` runs."""
    from ui.slack_app import build_app
    from ui.slack_http import EVENTS_PATH, make_server

    app = build_app(assistant, config or config_for(fake))
    server = make_server(app, "127.0.0.1", 0, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.address
    yield f"http://{host}:{port}{EVENTS_PATH}"
    server.shutdown()
    thread.join(timeout=15)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def events_url(article_assistant: Any, fake: FakeSlack) -> Iterator[str]:
    yield from serve(article_assistant, fake)


def mention(fake: FakeSlack, channel: str, text: str, **extra: Any) -> dict[str, Any]:
    """A person's mention of the bot, stored in the fake and wrapped as Slack's event."""
    message = fake.add_message(channel, f"<@{BOT_USER_ID}> {text}", **extra)
    return event_payload({**message, "type": "app_mention", "channel": channel})


def direct_message(fake: FakeSlack, channel: str, text: str, **extra: Any) -> dict[str, Any]:
    message = fake.add_message(channel, text, **extra)
    return event_payload({**message, "channel": channel, "channel_type": "im"})


def replies(fake: FakeSlack, channel: str, count: int = 1) -> list[Call]:
    """Wait for the bot's ``count`` replies in ``channel`` and return them."""
    return wait_for(
        lambda: len(calls := fake.calls_to("chat.postMessage", channel)) >= count and calls
    )


def block_texts(call: Call, kind: str) -> list[str]:
    texts = []
    for block in call.args["blocks"]:
        if block["type"] == kind == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == kind == "context":
            texts.extend(element["text"] for element in block["elements"])
    return texts


def test_mention_is_answered_in_its_thread_with_the_cited_passage(fake, events_url):
    event = mention(fake, "C0MENTION", QUESTION.lower())
    status, _ = send_event(events_url, event)
    assert status == 200
    [reply] = replies(fake, "C0MENTION")
    assert reply.args["thread_ts"] == event["event"]["ts"]
    assert "Macron" in reply.args["text"] and "Scholz" in reply.args["text"]
    quotes = [t for t in block_texts(reply, "section") if t.startswith(">")]
    assert any("Emmanuel Macron" in quote for quote in quotes)
    assert any("article.txt" in line for line in block_texts(reply, "context"))
    [working] = fake.calls_to("reactions.add", "C0MENTION")
    assert working.args["timestamp"] == event["event"]["ts"]
    assert all(call.authorized for call in fake.calls)


def test_direct_message_is_answered_the_same_way(fake, events_url):
    event = direct_message(fake, "D0DIRECT", QUESTION)
    assert send_event(events_url, event)[0] == 200
    [reply] = replies(fake, "D0DIRECT")
    assert reply.args["thread_ts"] == event["event"]["ts"]
    assert "Scholz" in reply.args["text"]
    assert any(t.startswith(">") for t in block_texts(reply, "section"))


def test_thread_follow_up_uses_the_earlier_turns_as_history(fake, events_url, article_assistant):
    first = mention(fake, "C0THREAD", QUESTION)
    send_event(events_url, first)
    [answer] = replies(fake, "C0THREAD")
    parent = first["event"]["ts"]
    follow_up = "When did he call them?"
    send_event(events_url, mention(fake, "C0THREAD", follow_up, thread_ts=parent))
    second = replies(fake, "C0THREAD", 2)[1]
    assert second.args["thread_ts"] == parent
    assert [c.args["ts"] for c in fake.calls_to("conversations.replies", "C0THREAD")] == [parent]
    expected = article_assistant.ask(follow_up, [(QUESTION, answer.args["text"])])
    assert second.args["text"] == expected.text


def test_question_the_documents_cannot_answer_gets_a_short_reply(fake, tmp_path):
    from qa import Settings, build_assistant

    nothing_indexed = build_assistant(Settings(data_dir=tmp_path / "store", bundled=False))
    for url in serve(nothing_indexed, fake):
        send_event(url, mention(fake, "C0DECLINE", "Who is the president of Brazil?"))
        [reply] = replies(fake, "C0DECLINE")
    assert reply.args["text"].startswith("The documents don't say")
    assert [b["type"] for b in reply.args["blocks"]] == ["section"]


def test_retried_event_is_answered_once(fake, events_url):
    event = mention(fake, "C0RETRY", QUESTION)
    statuses = [send_event(events_url, event, retry_num=n)[0] for n in (None, 1, 2)]
    assert statuses == [200, 200, 200]
    # a later question in the same channel: once it is answered, the retries have been handled
    later = mention(fake, "C0RETRY", "Who is the president of Brazil?")
    send_event(events_url, later)
    wait_for(lambda: len(fake.calls_to("chat.postMessage", "C0RETRY")) >= 2)
    send_event(events_url, event, retry_num=3)
    send_event(events_url, mention(fake, "C0RETRY", "Who is the president of Brazil?"))
    threads = [c.args["thread_ts"] for c in replies(fake, "C0RETRY", 3)]
    assert threads.count(event["event"]["ts"]) == 1
    assert len(threads) == 3


def test_a_rate_limited_reply_is_retried_after_retry_after_and_posted_once(fake, events_url):
    fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    event = mention(fake, "C0LIMIT", QUESTION)
    assert send_event(events_url, event)[0] == 200
    [reply] = replies(fake, "C0LIMIT")
    [refused] = fake.calls_to("chat.postMessage", "C0LIMIT", limited=True)
    assert refused.args["thread_ts"] == reply.args["thread_ts"] == event["event"]["ts"]
    assert refused.args["text"] == reply.args["text"] and "Macron" in reply.args["text"]
    # once a later question is answered, the first has been handled: one post, in its thread
    send_event(events_url, mention(fake, "C0LIMIT", "Who is the president of Brazil?"))
    threads = [c.args["thread_ts"] for c in replies(fake, "C0LIMIT", 2)]
    posted = [m for m in fake.messages["C0LIMIT"] if m.get("bot_id") == BOT_ID]
    assert threads.count(event["event"]["ts"]) == 1 and len(threads) == len(posted) == 2
    assert len(fake.calls_to("chat.postMessage", "C0LIMIT", limited=True)) == 1


def test_bad_signature_gets_401_and_no_answer(fake, events_url, caplog):
    caplog.set_level(logging.DEBUG)
    forged = mention(fake, "C0FORGED", "secret plans of the forger")
    assert send_event(events_url, forged, secret="0" * 32)[0] == 401
    assert send_event(events_url, forged, signature="v0=deadbeef")[0] == 401
    send_event(events_url, mention(fake, "C0FORGED", QUESTION))
    [reply] = replies(fake, "C0FORGED")
    assert reply.args["thread_ts"] != forged["event"]["ts"]
    assert "secret plans" not in caplog.text  # Bolt logs rejected bodies at INFO


def test_messages_from_bots_including_itself_are_ignored(fake, events_url):
    own = fake.add_message("D0BOTS", "Putin told President Emmanuel Macron", user=BOT_USER_ID)
    send_event(
        events_url, direct_message(fake, "D0BOTS", QUESTION, user=BOT_USER_ID, bot_id=BOT_ID)
    )
    other = {"subtype": "bot_message", "bot_id": "B0OTHER", "user": "U0OTHERBOT"}
    send_event(events_url, direct_message(fake, "D0BOTS", QUESTION, **other))
    app = {"bot_id": "B0OTHER", "user": "U0OTHERBOT"}  # an app posting without a subtype
    send_event(events_url, direct_message(fake, "D0BOTS", QUESTION, **app))
    edit = {"subtype": "message_changed", "hidden": True}
    send_event(events_url, direct_message(fake, "D0BOTS", QUESTION, **edit))
    person = direct_message(fake, "D0BOTS", QUESTION)
    send_event(events_url, person)
    [reply] = replies(fake, "D0BOTS")
    assert reply.args["thread_ts"] == person["event"]["ts"] != own["ts"]


def test_rejected_question_gets_its_reason_and_the_bot_keeps_answering(fake, events_url):
    send_event(events_url, mention(fake, "C0REJECT", "why? " * 500))
    [reason] = replies(fake, "C0REJECT")
    assert "too long" in reason.args["text"]
    send_event(events_url, mention(fake, "C0REJECT", QUESTION))
    assert "Macron" in replies(fake, "C0REJECT", 2)[1].args["text"]


def test_assistant_failure_gets_an_apology_and_is_logged_without_tokens(fake, tmp_path, caplog):
    from qa import Settings, build_assistant

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the store should be")
    caplog.set_level(logging.DEBUG)
    for url in serve(build_assistant(Settings(data_dir=blocked)), fake):
        send_event(url, mention(fake, "C0BROKEN", QUESTION))
        [apology] = replies(fake, "C0BROKEN")
        assert apology.args["text"].startswith("Sorry, something went wrong")
        send_event(url, mention(fake, "C0BROKEN", QUESTION))  # still serving after the error
        replies(fake, "C0BROKEN", 2)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures and "Cannot create the data folder" in caplog.text
    assert BOT_TOKEN not in caplog.text and SIGNING_SECRET not in caplog.text


def test_thread_history_pairs_each_answer_with_the_question_before_it():
    from ui.slack_messages import thread_history

    messages = [
        {"ts": "1.0", "user": "U1", "text": f"<@{BOT_USER_ID}> Which leaders did Putin call?"},
        {"ts": "2.0", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": "Macron and Scholz [1]."},
        {"ts": "3.0", "user": "U2", "text": "nice"},
        {"ts": "3.5", "bot_id": "B0OTHER", "subtype": "bot_message", "text": "beep"},
        {"ts": "4.0", "user": "U1", "text": "When did he call them?"},
        {"ts": "5.0", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": "On Monday [1]."},
        {"ts": "6.0", "user": "U1", "text": "And why?"},
    ]
    assert thread_history(messages, BOT_USER_ID, BOT_ID, before="6.0") == [
        ("Which leaders did Putin call?", "Macron and Scholz [1]."),
        ("When did he call them?", "On Monday [1]."),
    ]


def test_question_text_drops_mentions_and_unwraps_links():
    from ui.slack_messages import question_text

    text = f"<@{BOT_USER_ID}> what does <https://example.com|the site> say &amp; why &lt;now&gt;?"
    assert question_text(text) == "what does the site say & why <now>?"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xapp-1-A1-2-abc"}, "should start with xoxb-"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xoxb-1-2"}, "should start with xapp-"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": BOT_TOKEN}, "SIGNING_SECRET is"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-A"}, None),
    ],
)
def test_missing_or_malformed_tokens_are_clear_start_up_errors(env, message):
    from ui.slack_config import SlackConfigError

    http = "SLACK_SIGNING_SECRET" in env
    if message is None:
        assert SlackConfig.from_env(env).mode == "Socket Mode"
        return
    with pytest.raises(SlackConfigError, match=message) as error:
        SlackConfig.from_env(env, http=http)
    assert BOT_TOKEN not in str(error.value)


def test_http_mode_needs_the_signing_secret():
    from ui.slack_config import SlackConfigError

    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-A"}
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET is not set"):
        SlackConfig.from_env(env, http=True)
    assert SlackConfig.from_env({**env, "SLACK_SIGNING_SECRET": SIGNING_SECRET}, http=True).http


def test_secrets_stay_out_of_the_repr():
    config = SlackConfig(BOT_TOKEN, app_token="xapp-1-A-secret", signing_secret=SIGNING_SECRET)
    assert not {BOT_TOKEN, "xapp-1-A-secret", SIGNING_SECRET} & set(repr(config).split("'"))
    assert "xoxb" not in repr(config) and SIGNING_SECRET not in repr(config)


def test_a_token_slack_rejects_stops_start_up(fake, article_assistant):
    from ui.slack_app import build_app
    from ui.slack_config import SlackConfigError

    config = SlackConfig("xoxb-0000-revoked", signing_secret=SIGNING_SECRET, api_url=fake.url)
    with pytest.raises(SlackConfigError, match="rejected SLACK_BOT_TOKEN \\(invalid_auth\\)"):
        build_app(article_assistant, config)


def test_run_bot_reports_missing_tokens_before_loading_anything(tmp_path: Path):
    from qa import Settings
    from ui.slack_bot import run_bot
    from ui.slack_config import SlackConfigError

    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN is not set"):
        run_bot(Settings(data_dir=tmp_path), http=True, port=0, env={})
    assert not (tmp_path / "chroma.sqlite3").exists()


def test_qa_slack_http_answers_signed_events_and_keeps_tokens_out_of_its_log(fake, tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import free_port

    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.url,
        "QA_DATA_DIR": str(tmp_path / "store"),
        "HF_HUB_OFFLINE": "1",
    }
    for name in ("SLACK_APP_TOKEN", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    command = [sys.executable, "-m", "qa.cli", "slack", "--http", "--port", str(port)]
    log = tmp_path / "bot.log"
    with open(log, "w") as out:
        bot = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/slack/events"
        wait_for(lambda: bot.poll() is not None or "listening" in log.read_text(), timeout=60)
        assert bot.poll() is None, log.read_text()
        assert send_event(url, mention(fake, "C0PROCESS", "x"), secret="0" * 32)[0] == 401
        assert send_event(url, mention(fake, "C0PROCESS", QUESTION))[0] == 200
        assert "Scholz" in replies(fake, "C0PROCESS")[0].args["text"]
    finally:
        bot.terminate()
        bot.wait(timeout=10)
    text = log.read_text()
    assert "connected to Slack as qa" in text
    assert BOT_TOKEN not in text and SIGNING_SECRET not in text and "<@" not in text


def test_missing_slack_bolt_names_the_install_command(tmp_path):
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['slack_bolt'] = None\n"
        "from qa import Settings, QAError\n"
        "from ui.slack_bot import run_bot\n"
        "try:\n"
        f"    run_bot(Settings(data_dir={str(tmp_path)!r}), env={{}})\n"
        "except QAError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'qa[slack]'" in result.stdout


def test_socket_mode_connects_through_the_configured_api_url(fake, article_assistant):
    from ui.slack_app import build_app
    from ui.slack_bot import socket_mode_handler

    config = SlackConfig(BOT_TOKEN, app_token="xapp-1-A0QAAPP-1-fake", api_url=fake.url)
    handler = socket_mode_handler(build_app(article_assistant, config), config)
    try:
        assert handler.client.web_client.base_url == fake.url
        kinds = {type(h).__name__ for h in handler.client.web_client.retry_handlers}
        assert "RateLimitErrorRetryHandler" in kinds
        assert handler.client.app_token == config.app_token
    finally:
        handler.client.close()
