"""Files shared in a DM with the Slack bot: files.info, the bearer download, indexing, replies."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ui.fake_slack import (
    BOT_TOKEN,
    SIGN_IN_PAGE,
    SIGNING_SECRET,
    Call,
    FakeSlack,
    event_payload,
    send_event,
    wait_for,
)
from tests.ui.test_slack_bot import QUESTION, block_texts, direct_message, mention, replies, serve
from ui.slack_config import SlackConfig

pytestmark = pytest.mark.integration

NOTES = """# Project Zephyr

Project Zephyr is the lab's programme of high-altitude weather balloons.

The launch codename of Project Zephyr is Bluefinch, chosen by the engineer Ada Okafor in 2021.

Each balloon carries ozone sensors that were built in Tromsø.
"""
ZEPHYR = "What is the launch codename of Project Zephyr?"
HARBOUR = "The harbour pilot Ines Varga guided the freighter Kestrel into Dock Seven at dawn.\n"


def config_for(fake: FakeSlack, file_uploads: bool) -> SlackConfig:
    return SlackConfig(
        BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=fake.url,
        http=True,
        file_uploads=file_uploads,
    )


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Any:
    """An assistant of its own (the bundled article, then what the tests share with it)."""
    from qa import build_assistant

    assistant = build_assistant(data_dir=tmp_path_factory.mktemp("slack-files"), embedder=embedder)
    assistant.sources()
    return assistant


@pytest.fixture(scope="module")
def uploads_url(library: Any, fake: FakeSlack) -> Iterator[str]:
    """The bot with SLACK_FILE_UPLOADS=true."""
    yield from serve(library, fake, config_for(fake, file_uploads=True))


def share(fake: FakeSlack, channel: str, files: list[dict], text: str = "", **extra: Any) -> dict:
    """A person's DM that shares ``files``, as Slack sends it: a `file_share` message event."""
    return direct_message(fake, channel, text, subtype="file_share", files=files, **extra)


def downloads(fake: FakeSlack, file: dict[str, Any]) -> list[Call]:
    return [c for c in fake.calls_to("download") if c.args["file"] == file["id"]]


def infos(fake: FakeSlack, file: dict[str, Any]) -> list[Call]:
    return [c for c in fake.calls_to("files.info") if c.args.get("file") == file["id"]]


def lines(call: Call) -> list[str]:
    return str(call.args["text"]).splitlines()


def test_a_markdown_file_shared_in_a_dm_is_indexed_and_answers_questions(
    fake, uploads_url, library
):
    send_event(uploads_url, direct_message(fake, "D0BEFORE", ZEPHYR))
    [before] = replies(fake, "D0BEFORE")
    assert before.args["text"].startswith("The documents don't say")

    file = fake.add_file("zephyr-notes.md", NOTES.encode(), "text/markdown")
    event = share(fake, "D0FILES", [file])
    assert send_event(uploads_url, event)[0] == 200
    [reply] = replies(fake, "D0FILES")
    assert reply.args["thread_ts"] == event["event"]["ts"]
    [added] = lines(reply)
    assert added.startswith("Added zephyr-notes.md (") and "chunk" in added
    [info] = infos(fake, file)
    assert info.authorized
    [download] = downloads(fake, file)
    assert download.authorized and download.args["path"].endswith("/download/zephyr-notes.md")
    assert "zephyr-notes.md" in [s.source for s in library.sources()]

    follow_up = direct_message(fake, "D0FILES", ZEPHYR)
    send_event(uploads_url, follow_up)
    answer = replies(fake, "D0FILES", 2)[1]
    assert answer.args["thread_ts"] == follow_up["event"]["ts"]
    assert "Bluefinch" in answer.args["text"]
    quotes = [t for t in block_texts(answer, "section") if t.startswith(">")]
    assert any("Bluefinch" in quote for quote in quotes)
    assert any("zephyr-notes.md" in line for line in block_texts(answer, "context"))


def test_a_question_sent_with_the_file_is_answered_once_it_is_indexed(fake, uploads_url):
    file = fake.add_file("harbour-log.txt", HARBOUR.encode())
    event = share(fake, "D0ASKED", [file], text="Who guided the freighter Kestrel into Dock Seven?")
    send_event(uploads_url, event)
    summary, answer = replies(fake, "D0ASKED", 2)
    assert lines(summary) == ["Added harbour-log.txt (1 chunk)"]
    assert answer.args["thread_ts"] == summary.args["thread_ts"] == event["event"]["ts"]
    assert "Ines Varga" in answer.args["text"]
    assert any("harbour-log.txt" in line for line in block_texts(answer, "context"))


def test_a_word_document_shared_in_a_dm_is_answered_from(fake, uploads_url, library):
    from tests.office_files import docx_bytes

    sentence = "The ferry Albatross leaves the quay at Vik for Heimaey twice a day."
    data = docx_bytes("Timetable", ["Timetables change in winter.", sentence])
    file = fake.add_file("timetable.docx", data, "application/octet-stream")
    event = share(fake, "D0WORD", [file], text="How often does the ferry Albatross leave Vik?")
    send_event(uploads_url, event)
    summary, answer = replies(fake, "D0WORD", 2)
    assert lines(summary)[0].startswith("Added timetable.docx (")
    quotes = [t for t in block_texts(answer, "section") if t.startswith(">")]
    assert any(sentence in quote for quote in quotes)
    text = library.source_text("timetable.docx")
    assert sentence in text and "Heimaey twice a day [1]" in answer.args["text"]


def test_unreadable_files_get_a_one_line_reason_and_the_others_still_index(fake, uploads_url):
    broken = fake.add_file("broken.pdf", b"this is not a PDF at all", "application/pdf")
    photo = fake.add_file("photo.png", b"\x89PNG\r\n\x1a\n", "image/png")
    good = fake.add_file("pier-notes.txt", b"The pier was rebuilt in oak after the storm.\n")
    send_event(uploads_url, share(fake, "D0MIXED", [broken, photo, good]))
    [reply] = replies(fake, "D0MIXED")
    pdf, png, txt = lines(reply)
    assert pdf.startswith("Not added: broken.pdf: ")
    assert png.startswith("Not added: photo.png: ") and "unsupported file type" in png
    assert txt == "Added pier-notes.txt (1 chunk)"
    assert [len(downloads(fake, f)) for f in (broken, photo, good)] == [1, 0, 1]
    section = block_texts(reply, "section")[0]
    assert section.count("\n") == 2 and ":x: Not added: broken.pdf" in section


def test_a_retried_or_doubled_file_event_is_indexed_once_and_replied_to_once(fake, uploads_url):
    file = fake.add_file("retry-notes.md", b"# Retry\n\nThe night ferry leaves at 23:40.\n")
    event = share(fake, "D0RETRY", [file])
    statuses = [send_event(uploads_url, event, retry_num=n)[0] for n in (None, 1, 2)]
    doubled = event_payload(event["event"])  # the same message under another event id
    statuses.append(send_event(uploads_url, doubled)[0])
    assert statuses == [200, 200, 200, 200]
    # a later message in the same DM: once it is answered, the retries have been handled
    send_event(uploads_url, direct_message(fake, "D0RETRY", "Who is the president of Brazil?"))
    wait_for(lambda: len(fake.calls_to("chat.postMessage", "D0RETRY")) >= 2)
    send_event(uploads_url, event, retry_num=3)
    send_event(uploads_url, direct_message(fake, "D0RETRY", "Who is the president of Brazil?"))
    threads = [c.args["thread_ts"] for c in replies(fake, "D0RETRY", 3)]
    assert threads.count(event["event"]["ts"]) == 1 and len(threads) == 3
    assert len(infos(fake, file)) == len(downloads(fake, file)) == 1


def test_the_file_server_refuses_a_download_without_the_bot_token(fake, uploads_url):
    file = fake.add_file("token-notes.txt", b"The archive opens at nine.\n")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(headers: dict[str, str]) -> tuple[bytes, str]:
        request = urllib.request.Request(file["url_private_download"], headers=headers)
        with opener.open(request, timeout=10) as response:
            return response.read(), response.headers.get_content_type()

    assert get({}) == (SIGN_IN_PAGE, "text/html")
    assert get({"Authorization": "Bearer xoxb-0000-wrong"}) == (SIGN_IN_PAGE, "text/html")
    assert get({"Authorization": f"Bearer {BOT_TOKEN}"})[0] == b"The archive opens at nine.\n"
    send_event(uploads_url, share(fake, "D0TOKEN", [file]))
    assert lines(replies(fake, "D0TOKEN")[0]) == ["Added token-notes.txt (1 chunk)"]
    assert [c.authorized for c in downloads(fake, file)] == [False, False, True, True]


def test_without_the_files_read_scope_the_reply_says_what_to_fix(fake, uploads_url, caplog):
    caplog.set_level(logging.DEBUG)
    file = fake.add_file("scope-notes.md", b"# Scope\n\nNothing to see.\n")
    fake.files_read = False
    try:
        send_event(uploads_url, share(fake, "D0SCOPE", [file]))
        [reply] = replies(fake, "D0SCOPE")
    finally:
        fake.files_read = True
    assert lines(reply) == [
        "Not added: scope-notes.md: the bot may not read files (the app needs the files:read scope)"
    ]
    assert downloads(fake, file) == []
    assert BOT_TOKEN not in caplog.text


def test_a_failed_download_or_a_link_off_slack_is_a_one_line_reply(fake, uploads_url, caplog):
    caplog.set_level(logging.DEBUG)
    gone = fake.add_file("gone.md", b"# Gone\n")
    del fake.contents[gone["id"]]  # the file server answers 404
    elsewhere = fake.add_file("elsewhere.md", b"# Elsewhere\n", url="https://files.example.com/x")
    send_event(uploads_url, share(fake, "D0FAILED", [gone, elsewhere]))
    [reply] = replies(fake, "D0FAILED")
    assert lines(reply) == [
        "Not added: gone.md: download failed (HTTP 404)",
        "Not added: elsewhere.md: its download link is not on Slack (files.example.com)",
    ]
    assert len(downloads(fake, gone)) == 1 and downloads(fake, elsewhere) == []
    assert BOT_TOKEN not in caplog.text


def test_size_and_count_limits_refuse_before_downloading(fake, tmp_path, embedder):
    from qa import build_assistant

    small = build_assistant(
        data_dir=tmp_path / "store",
        bundled=False,
        embedder=embedder,
        max_upload_mb=0.01,
        max_upload_files=2,
    )
    big = fake.add_file("big.md", b"# Big\n", size=50 * 2**20)  # files.info says 50 MB
    liar = fake.add_file("liar.md", b"# Liar\n\n" + b"word " * 4000, size=100)  # is 20 kB
    many = [fake.add_file(f"many-{n}.md", b"# Many\n") for n in range(3)]
    for url in serve(small, fake, config_for(fake, file_uploads=True)):
        send_event(url, share(fake, "D0LIMITS", [big, liar]))
        [sizes] = replies(fake, "D0LIMITS")
        send_event(url, share(fake, "D0COUNT", many))
        [count] = replies(fake, "D0COUNT")
    assert lines(sizes) == [
        "Not added: big.md: larger than 0.01 MB",
        "Not added: liar.md: larger than 0.01 MB",
    ]
    assert downloads(fake, big) == [] and len(downloads(fake, liar)) == 1
    assert lines(count) == ["3 files at once; the limit is 2 (QA_MAX_UPLOAD_FILES)."]
    assert not any(infos(fake, f) for f in many)
    assert small.sources() == []


def test_with_file_uploads_off_a_shared_file_is_not_downloaded(fake, article_assistant):
    alone = fake.add_file("off-notes.md", b"# Off\n")
    with_question = fake.add_file("off-question.md", b"# Off\n")
    for url in serve(article_assistant, fake, config_for(fake, file_uploads=False)):
        send_event(url, share(fake, "D0OFF", [alone]))
        [notice] = replies(fake, "D0OFF")
        send_event(url, share(fake, "D0OFFQ", [with_question], text=QUESTION))
        [answer] = replies(fake, "D0OFFQ")
    assert notice.args["text"] == (
        "Files shared with me are not indexed: file uploads are turned off for this bot."
    )
    assert "Macron" in answer.args["text"]  # the text is still a question
    assert not any(infos(fake, f) or downloads(fake, f) for f in (alone, with_question))


def test_qa_uploads_false_keeps_file_uploads_off(fake, tmp_path, embedder):
    from qa import build_assistant

    read_only = build_assistant(
        data_dir=tmp_path / "store", bundled=False, embedder=embedder, uploads=False
    )
    file = fake.add_file("read-only.md", b"# Read only\n")
    for url in serve(read_only, fake, config_for(fake, file_uploads=True)):
        send_event(url, share(fake, "D0READONLY", [file]))
        [notice] = replies(fake, "D0READONLY")
    assert "file uploads are turned off" in notice.args["text"]
    assert infos(fake, file) == downloads(fake, file) == []


def test_a_file_shared_in_a_channel_is_not_indexed(fake, uploads_url, library):
    in_channel = fake.add_file("channel-notes.md", b"# Channel\n\nThe vault code is 7781.\n")
    posted = fake.add_message("C0FILES", "", subtype="file_share", files=[in_channel])
    send_event(
        uploads_url, event_payload({**posted, "channel": "C0FILES", "channel_type": "channel"})
    )
    send_event(uploads_url, mention(fake, "C0FILES", "", subtype="file_share", files=[in_channel]))
    [notice] = replies(fake, "C0FILES")
    assert notice.args["text"] == (
        "I index files only when they are shared in a direct message with me."
    )
    send_event(uploads_url, mention(fake, "C0FILES", QUESTION, files=[in_channel]))
    assert "Macron" in replies(fake, "C0FILES", 2)[1].args["text"]
    assert infos(fake, in_channel) == downloads(fake, in_channel) == []
    assert "channel-notes.md" not in [s.source for s in library.sources()]


@pytest.mark.parametrize(
    ("value", "on"), [(None, False), ("", False), ("true", True), ("ON", True), ("0", False)]
)
def test_slack_file_uploads_is_read_from_the_environment(value, on):
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-A"}
    if value is not None:
        env["SLACK_FILE_UPLOADS"] = value
    assert SlackConfig.from_env(env).file_uploads is on


def test_a_malformed_slack_file_uploads_is_a_start_up_error():
    from ui.slack_config import SlackConfigError

    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-A", "SLACK_FILE_UPLOADS": "ja"}
    with pytest.raises(SlackConfigError, match="SLACK_FILE_UPLOADS='ja' is not a valid bool"):
        SlackConfig.from_env(env)


def test_the_bot_token_goes_only_to_slack_or_the_configured_api_host():
    from ui.slack_files import allowed_host

    api = "http://127.0.0.1:4000/api/"
    assert allowed_host("https://files.slack.com/files-pri/T1-F1/download/a.md", api)
    assert allowed_host("http://127.0.0.1:4000/files-pri/T1-F1/download/a.md", api)
    assert not allowed_host("http://files.slack.com/files-pri/T1-F1/a.md", api)  # not https
    assert not allowed_host("https://files.slack.com.evil.example/a.md", api)
    assert not allowed_host("http://127.0.0.1:4001/files-pri/a.md", api)
    assert not allowed_host("https://evilslack.com/a.md", "https://slack.com/api/")
