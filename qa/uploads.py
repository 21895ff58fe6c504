"""Documents added as uploaded bytes (chat page, HTTP API, Slack): limits, one result a file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from qa.errors import UploadRefused

if TYPE_CHECKING:
    from index import IndexReport
    from qa.settings import Settings


UPLOADS_OFF = "Uploads are turned off here (QA_UPLOADS=false)"


def too_many(count: int, settings: Settings) -> str:
    """Why an upload of count files is refused when that is over the limit."""
    return f"{count} files at once; the limit is {settings.max_upload_files} (QA_MAX_UPLOAD_FILES)"


def too_large(name: str, settings: Settings) -> str:
    """Why a file over the size limit is refused."""
    return f"{name}: larger than {settings.max_upload_mb:g} MB"


@dataclass(frozen=True)
class UploadResult:
    """What became of one uploaded file: its source name as ``qa sources`` lists it, and
    ``added``, ``updated``, ``unchanged`` or ``failed`` (with the reason, one line)."""

    file: str
    source: str
    status: str
    chunks: int = 0
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_uploads(
    settings: Settings, files: Sequence[tuple[str, bytes]]
) -> dict[int, UploadResult]:
    """Refuse an upload the settings do not allow (UploadRefused). The files refused alone, by
    position: those over the size limit, and a second file under a name already given (it
    would be kept in place of the first)."""
    from index.errors import DocumentError
    from index.uploads import upload_name

    if not settings.uploads:
        raise UploadRefused(UPLOADS_OFF)
    if not files:
        from index.loading import READABLE_TYPES

        raise UploadRefused(f"No files given: upload at least one {READABLE_TYPES} file")
    if len(files) > settings.max_upload_files:
        raise UploadRefused(too_many(len(files), settings))
    refused: dict[int, UploadResult] = {}
    kept: set[str] = set()
    for at, (name, data) in enumerate(files):
        try:
            kept_as = upload_name(name)
        except DocumentError:
            kept_as = name  # refused with its reason when saved
        if kept_as in kept:
            refused[at] = UploadResult(name, "", "failed", error=f"{kept_as}: given twice")
        elif len(data) > settings.max_upload_bytes:
            refused[at] = UploadResult(name, "", "failed", error=too_large(name, settings))
        kept.add(kept_as)
    return refused


def results(
    files: Sequence[tuple[str, bytes]],
    refused: dict[int, UploadResult],
    report: IndexReport,
    chunks: dict[str, int],
) -> list[UploadResult]:
    """One result per uploaded file, in the order given."""
    from index.uploads import upload_name

    reasons = dict(report.failed)
    status = {s: "added" for s in report.added}
    status.update((s, "updated") for s in report.updated)
    status.update((s, "unchanged") for s in report.unchanged)
    out = []
    for at, (name, _data) in enumerate(files):
        if at in refused:
            out.append(refused[at])
            continue
        try:
            source = upload_name(name)
        except Exception:
            source = ""
        if source in status:
            out.append(UploadResult(name, source, status[source], chunks.get(source, 0)))
        else:
            reason = reasons.get(name) or reasons.get(source) or f"{name}: not indexed"
            out.append(UploadResult(name, "", "failed", error=reason))
    return out
