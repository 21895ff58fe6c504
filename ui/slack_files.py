"""Files shared in a DM with the bot: looked up with files.info, downloaded with the bot token."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from qa.errors import UploadRefused
from qa.uploads import UploadResult, too_large, too_many
from ui.slack_config import redact

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from qa import Assistant, Settings

DOWNLOAD_SECONDS = 30.0  # for each read from Slack's file server
_CHUNK = 1 << 16
_GONE_MODES = frozenset({"tombstone", "hidden_by_limit"})  # deleted, or past a free plan's limit


class FetchError(Exception):
    """A shared file that could not be fetched from Slack; the message is the one-line reason."""


def shared_files(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The files a message event carries (Slack's file objects, each with at least an id)."""
    files = event.get("files") or []
    return [f for f in files if isinstance(f, Mapping) and f.get("id")]


def index_shared(
    assistant: Assistant, client: WebClient, files: Sequence[Mapping[str, Any]]
) -> list[UploadResult]:
    """Fetch each shared file from Slack and index the ones fetched: one result per file, in
    order. UploadRefused (before anything is downloaded) when there are too many."""
    settings = assistant.settings
    if len(files) > settings.max_upload_files:
        raise UploadRefused(too_many(len(files), settings))
    fetched: list[tuple[str, bytes]] = []
    slots: list[UploadResult | int] = []  # a failure, or the index of the fetched file
    for shared in files:
        try:
            fetched.append(fetch(client, shared, settings))
            slots.append(len(fetched) - 1)
        except FetchError as exc:
            slots.append(UploadResult(_name(shared), "", "failed", error=str(exc)))
    added = assistant.add_files(fetched) if fetched else []
    return [added[slot] if isinstance(slot, int) else slot for slot in slots]


def fetch(client: WebClient, shared: Mapping[str, Any], settings: Settings) -> tuple[str, bytes]:
    """(file name, bytes) of one shared file: files.info for its name, size and download link,
    refused before downloading when of a type qa does not read or over the size limit;
    FetchError with the reason."""
    from index.errors import DocumentError
    from index.uploads import upload_name

    info = file_info(client, shared)
    name = _name(info, _name(shared))
    if info.get("mode") in _GONE_MODES:
        raise FetchError(f"{name}: Slack no longer has the file")
    try:
        upload_name(name)  # a type qa does not read is refused before downloading
    except DocumentError as exc:
        raise FetchError(str(exc)) from None
    max_bytes = settings.max_upload_bytes
    size = info.get("size")
    if isinstance(size, int) and size > max_bytes:
        raise FetchError(too_large(name, settings))
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if not url:
        kind = "an external file" if info.get("is_external") else "a file"
        raise FetchError(f"{name}: Slack gives no download link for it ({kind})")
    data = download(client, url, max_bytes, name, html_ok=_is_html(info, name))
    if data is None:
        raise FetchError(too_large(name, settings))
    return name, data


def file_info(client: WebClient, shared: Mapping[str, Any]) -> Mapping[str, Any]:
    """The file object files.info gives; FetchError with Slack's reason when it refuses."""
    from slack_sdk.errors import SlackApiError

    name = _name(shared)
    try:
        response = client.files_info(file=str(shared["id"]))
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown error")
        if error == "missing_scope":
            raise FetchError(
                f"{name}: the bot may not read files (the app needs the files:read scope)"
            ) from None
        raise FetchError(f"{name}: Slack would not give the file ({error})") from None
    except OSError as exc:
        raise FetchError(f"{name}: cannot reach Slack ({_reason(exc)})") from None
    info = response.get("file")
    if not isinstance(info, Mapping):
        raise FetchError(f"{name}: Slack sent no file information")
    return info


def download(
    client: WebClient, url: str, max_bytes: int, name: str, html_ok: bool = False
) -> bytes | None:
    """The file at a ``url_private`` link, fetched with the bot token as bearer; None when it
    is over ``max_bytes``. The token goes only to Slack's own hosts (or SLACK_API_URL's host)."""
    if not allowed_host(url, client.base_url):
        raise FetchError(f"{name}: its download link is not on Slack ({_host(url)})")
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {client.token}", "User-Agent": "qa-slack-bot"}
    )
    try:
        with _opener(client).open(request, timeout=DOWNLOAD_SECONDS) as response:
            if response.headers.get_content_type() == "text/html" and not html_ok:
                # what Slack sends for a token it does not accept: its sign-in page
                raise FetchError(
                    f"{name}: Slack sent a sign-in page instead of the file "
                    "(the app needs the files:read scope)"
                )
            return _read(response, max_bytes)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{name}: download failed (HTTP {exc.code})") from None
    except (OSError, http.client.HTTPException) as exc:
        raise FetchError(f"{name}: download failed ({_reason(exc)})") from None


def allowed_host(url: str, api_url: str) -> bool:
    """Whether the bot token may be sent to ``url``: https on slack.com or one of its
    subdomains (files.slack.com), or the scheme and host the Web API is reached at."""
    parts, api = urlsplit(url), urlsplit(api_url)
    host = (parts.hostname or "").lower()
    if (parts.scheme, parts.netloc.lower()) == (api.scheme, api.netloc.lower()) and host:
        return True
    return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))


class _SlackRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect (which keeps the Authorization header) only to an allowed host."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if not allowed_host(newurl, self.api_url):
            raise urllib.error.URLError(f"redirected off Slack, to {_host(newurl)}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(client: WebClient) -> urllib.request.OpenerDirector:
    """The WebClient's proxy (slack_sdk has already read any proxy variable) and TLS context."""
    proxy = client.proxy
    proxies = {"http": proxy, "https": proxy} if isinstance(proxy, str) and proxy else {}
    return urllib.request.build_opener(
        urllib.request.ProxyHandler(proxies),
        urllib.request.HTTPSHandler(context=client.ssl),
        _SlackRedirects(client.base_url),
    )


def _read(response: Any, max_bytes: int) -> bytes | None:
    data = bytearray()
    while chunk := response.read(_CHUNK):
        data.extend(chunk)
        if len(data) > max_bytes:
            return None
    return bytes(data)


def _name(file: Mapping[str, Any], default: str = "") -> str:
    name = file.get("name") or file.get("title") or default or file.get("id") or "file"
    return " ".join(str(name).split())


def _is_html(info: Mapping[str, Any], name: str) -> bool:
    return info.get("mimetype") == "text/html" or name.lower().endswith((".html", ".htm"))


def _host(url: str) -> str:
    return urlsplit(url).hostname or "no host"


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return " ".join(redact(str(reason) or type(exc).__name__).split())
