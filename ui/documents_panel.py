"""The chat page's documents panel: add files by drop or button, list the sources, remove one."""

# No `from __future__ import annotations`: Gradio reads the handlers' `gr.Request` at run time.

import logging
from collections.abc import Callable, Iterator, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.loading import READABLE_TYPES
from qa import Assistant, QAError, bundled_article
from qa.errors import UploadRefused
from qa.uploads import UploadResult, check_uploads
from ui.limits import RateLimit, check_upload_rate, client_key

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger(__name__)

Step = Callable[[int, int, str], None]  # (files done, files in all, file being indexed)
NO_DOCUMENTS = '<div class="qa-docs-empty">No documents indexed yet.</div>'


def _passages(n: int) -> str:
    return f"{n} passage{'' if n == 1 else 's'}"


def render_listing(records: Sequence[Any]) -> str:
    """The indexed sources as a list: name and passage count."""
    if not records:
        return NO_DOCUMENTS
    items = "".join(
        f'<li class="qa-doc"><span class="qa-doc-name">{escape(r.source)}</span> '
        f'<span class="qa-doc-chunks">{_passages(r.chunks)}</span></li>'
        for r in records
    )
    return f'<ul class="qa-doc-list">{items}</ul>'


def render_result(result: UploadResult) -> str:
    """One file's outcome, one line: indexed (and how many passages) or why not."""
    if result.status == "failed":
        return f'<li class="qa-upload-failed">✗ {escape(result.error)}</li>'
    name = escape(result.source or result.file)
    if result.status == "unchanged":
        what = "unchanged, already indexed"
    else:
        what = f"{result.status}, {_passages(result.chunks)}"
    return f'<li class="qa-upload-ok">✓ <b>{name}</b>: {what}</li>'


def render_status(results: Sequence[UploadResult], working: str = "") -> str:
    """The upload status line: each finished file, then what is being indexed now."""
    lines = "".join(render_result(r) for r in results)
    if working:
        lines += f'<li class="qa-upload-working">{escape(working)}</li>'
    return f'<ul class="qa-upload-status">{lines}</ul>' if lines else ""


def render_notice(message: str, refused: bool = True) -> str:
    kind = "qa-upload-refused" if refused else "qa-upload-done"
    return f'<div class="{kind}">{escape(message)}</div>'


class Documents:
    """The panel's behaviour, independent of Gradio widgets: uploads, listing, removal."""

    def __init__(self, assistant: Assistant, limit: RateLimit | None = None) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.limit = limit or RateLimit(self.settings.uploads_per_minute)

    @property
    def writable(self) -> bool:
        return self.settings.uploads

    def names(self) -> list[str]:
        return [r.source for r in self.assistant.sources()]

    def listing(self) -> str:
        try:
            return render_listing(self.assistant.sources())
        except QAError as exc:
            return render_notice(f"The documents cannot be listed: {exc}")

    def read(self, paths: Sequence[str]) -> list[tuple[str, bytes]]:
        """The uploaded files as (name, bytes), each read no further than the size limit (the
        core then reports one over it), and deleted from Gradio's upload cache."""
        limit = self.settings.max_upload_bytes + 1
        files = []
        for path in paths:
            file = Path(path)
            with file.open("rb") as handle:
                files.append((file.name, handle.read(limit)))
            file.unlink(missing_ok=True)
        return files

    def upload(
        self, files: Sequence[tuple[str, bytes]], key: str, step: Step | None = None
    ) -> Iterator[str]:
        """Index the files one by one, yielding the status HTML as each starts and ends (and
        telling ``step``); a refused upload (off, too many files, too often) yields why, and
        indexes nothing."""
        try:
            check_uploads(self.settings, files)
            check_upload_rate(self.limit, key)
        except UploadRefused as exc:
            yield render_notice(str(exc))
            return
        done: list[UploadResult] = []
        for at, (name, data) in enumerate(files):
            if step is not None:
                step(at, len(files), name)
            yield render_status(done, f"Indexing {name} ({at + 1} of {len(files)})…")
            try:
                done.extend(self.assistant.add_files([(name, data)]))
            except QAError as exc:
                log.warning("upload of %s failed: %s", name, exc)
                done.append(UploadResult(name, "", "failed", error=f"{name}: {exc}"))
            except Exception as exc:
                log.exception("unexpected error while indexing upload %r", name)
                reason = f"{name}: not indexed (server error {type(exc).__name__}; see its log)"
                done.append(UploadResult(name, "", "failed", error=reason))
        yield render_status(done)

    def remove(self, name: str | None) -> str:
        if not self.writable:
            return render_notice("Documents cannot be removed here (QA_UPLOADS=false)")
        if not name:
            return render_notice("Pick a document to remove first.")
        try:
            self.assistant.remove(name)
        except QAError as exc:
            return render_notice(str(exc))
        return render_notice(f"Removed {name}.", refused=False)


def build_panel(
    assistant: Assistant, examples: Any | None = None, limit: RateLimit | None = None
) -> "Callable[[gr.Blocks], None]":
    """Lay out the panel in the current Blocks context; returns what wires its events.

    ``examples``, the row of example questions, is shown only while the bundled article is
    indexed. With uploads off (QA_UPLOADS=false) the panel only lists the documents."""
    import gradio as gr

    documents = Documents(assistant, limit)
    bundled = bundled_article().name

    def refreshed() -> list[Any]:
        names = documents.names()
        out: list[Any] = [documents.listing()]
        if documents.writable:
            out.append(gr.update(choices=names, value=None))
        if examples is not None:
            out.append(gr.update(visible=bundled in names))
        return out

    gr.Markdown("### Documents", elem_id="qa-docs-title")
    upload = status = choice = remove = None
    if documents.writable:
        upload = gr.File(
            label="Add documents",
            file_count="multiple",
            # no file_types: Gradio would refuse other files in a toast that vanishes; the
            # server refuses them instead, each with its line in the status list
            elem_id="qa-upload",
            height=110,
        )
        gr.HTML(
            f'<div class="qa-upload-hint">Drop or pick {READABLE_TYPES} files, up to '
            f"{documents.settings.max_upload_mb:g} MB each, "
            f"{documents.settings.max_upload_files} at a time.</div>",
            elem_id="qa-upload-hint",
        )
        status = gr.HTML("", elem_id="qa-upload-status", js_on_load=None)
    listing = gr.HTML(documents.listing(), elem_id="qa-doc-listing")
    refresh_outputs: list[Any] = [listing]
    if documents.writable:
        choice = gr.Dropdown(
            choices=documents.names(),
            value=None,
            label="Remove a document",
            elem_id="qa-remove-choice",
        )
        remove = gr.Button("Remove", elem_id="qa-remove", variant="stop", size="sm")
        refresh_outputs.append(choice)
    if examples is not None:
        refresh_outputs.append(examples)

    def on_upload(
        paths: list[str] | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (how Gradio passes a progress bar)
    ) -> Iterator[list[Any]]:
        def step(at: int, total: int, name: str) -> None:
            progress((at, total), desc=f"Indexing {name}", unit="files")

        files = documents.read(paths or [])
        for html in documents.upload(files, client_key(request), step):
            yield [html, gr.skip(), *refreshed()]  # the list grows as each file is indexed
        yield [gr.skip(), None, *refreshed()]

    def on_remove(name: str | None) -> list[Any]:
        return [documents.remove(name), *refreshed()]

    def wire(page: gr.Blocks) -> None:
        page.load(refreshed, outputs=refresh_outputs, api_visibility="private", queue=False)
        if documents.writable:
            assert upload is not None and status is not None
            assert choice is not None and remove is not None
            upload.upload(
                on_upload,
                inputs=[upload],
                outputs=[status, upload, *refresh_outputs],
                show_progress_on=[upload],
                api_visibility="private",
                concurrency_limit=2,
                concurrency_id="uploads",
            )
            remove.click(
                on_remove,
                inputs=[choice],
                outputs=[status, *refresh_outputs],
                show_progress_on=[listing],
                api_visibility="private",
                concurrency_limit=2,
                concurrency_id="uploads",
            )

    return wire
