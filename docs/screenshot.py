"""Make the README screenshot (docs/screenshot.png): a document uploaded on the chat page, then a
question answered from it with its cited passage, the documents panel beside.

    .venv/bin/python docs/screenshot.py       # needs Chromium at /usr/bin/chromium (make browser)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshot.png"
CHROMIUM = "/usr/bin/chromium"
HANDBOOK = (
    "# Team handbook\n\n"
    "Book travel through the shared travel inbox at least two weeks ahead. Economy class is "
    "the default for flights under six hours.\n\n"
    "Expense reports are due on the fifth working day of each month, with a receipt for every "
    "item over 25 euros. Late reports are paid with the following month's salary.\n\n"
    "Core hours are 10:00 to 15:00; outside them, people plan their own day.\n"
)
QUESTION = "When are expense reports due?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "QA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    command = [sys.executable, "-m", "qa.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"qa serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("qa serve did not start")


def shoot(url: str) -> None:
    from playwright.sync_api import FilePayload, expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(url)
        page.locator("#qa-question textarea").wait_for()
        handbook = FilePayload(
            name="handbook.md", mimeType="text/markdown", buffer=HANDBOOK.encode()
        )
        page.locator("#qa-upload input[type=file]").set_input_files([handbook])
        expect(page.locator("#qa-upload-status .qa-upload-ok")).to_contain_text("handbook.md")
        box = page.locator("#qa-question textarea")
        box.fill(QUESTION)
        box.press("Enter")
        expect(page.locator("#qa-sources .qa-sources-title")).to_contain_text(QUESTION)
        page.mouse.move(0, 0)
        time.sleep(0.5)  # let the last repaint settle
        page.screenshot(path=str(OUT), full_page=True)
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        proc, url = serve(Path(folder) / "store")
        try:
            shoot(url)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
