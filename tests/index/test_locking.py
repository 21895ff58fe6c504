"""The data folder's write lock: a second writer says it waits, then waits for the first."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from index import write_lock

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 60
# holds the lock in another process until a line arrives on its stdin
HOLDER = (
    "import sys\n"
    "from index import write_lock\n"
    "with write_lock(sys.argv[1]):\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.readline()\n"
)


def until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_an_uncontended_lock_does_not_wait_and_lives_in_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"  # created when missing
    waits: list[str] = []
    with write_lock(data, on_wait=lambda: waits.append("waited")):
        assert (data / "index.lock").is_file()
    with write_lock(data, on_wait=lambda: waits.append("waited")):  # released: free again
        pass
    assert waits == []
    assert [path.name for path in data.iterdir()] == ["index.lock"]


def test_a_second_thread_waits_until_the_first_releases(tmp_path: Path) -> None:
    events: list[str] = []
    first_in, release = threading.Event(), threading.Event()

    def first() -> None:
        with write_lock(tmp_path):
            events.append("first in")
            first_in.set()
            release.wait(SECONDS)
            events.append("first out")

    def second() -> None:
        with write_lock(tmp_path, on_wait=lambda: events.append("second waits")):
            events.append("second in")

    holder = threading.Thread(target=first, daemon=True)
    holder.start()
    assert first_in.wait(SECONDS)
    waiter = threading.Thread(target=second, daemon=True)
    waiter.start()
    until(lambda: "second waits" in events, "the second writer never said it waits")
    time.sleep(0.3)
    assert events == ["first in", "second waits"]  # still waiting while the first holds it
    release.set()
    holder.join(SECONDS)
    waiter.join(SECONDS)
    assert not waiter.is_alive()
    assert events == ["first in", "second waits", "first out", "second in"]


def test_a_second_process_waits_until_the_first_releases(tmp_path: Path) -> None:
    first = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout is not None and first.stdin is not None
        assert first.stdout.readline() == "held\n"
        waits: list[int | None] = []
        got = threading.Event()

        def second() -> None:
            with write_lock(tmp_path, on_wait=lambda: waits.append(first.poll())):
                got.set()

        waiter = threading.Thread(target=second, daemon=True)
        waiter.start()
        until(lambda: waits, "the second writer never said it waits")
        assert not got.wait(0.3)  # still waiting while the other process holds it
        first.stdin.write("\n")
        first.stdin.flush()
        assert first.wait(SECONDS) == 0
        assert got.wait(SECONDS), "the second writer never got the released lock"
        waiter.join(SECONDS)
        assert waits == [None]  # called once, while the first process held the lock
    finally:
        first.kill()
        first.wait()
