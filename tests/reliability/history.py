"""A history test of one store and many writers, in the style of Jepsen and Hypothesis' stateful
testing: a model of what should be indexed, and random seeded steps across real processes.

A real `qa serve` takes uploads and deletions through its HTTP API (POST /api/documents,
DELETE /api/sources/NAME) and answers questions (POST /api/ask), while separate `qa index`,
`qa remove` and `qa index --rebuild` processes write the same store. After every step: no
5xx, GET /api/sources lists exactly the model's sources, and every answer cites only live
sources. A question about a live document must be answered from it, with the model's fact.

Used by tests/reliability/test_history.py (short seeded runs, on a local folder and on a
Chroma server) and by benchmarks/reliability.py (a few hundred steps).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.servers import stop

SEED_SOURCE = "article.txt"  # the bundled article, indexed when the server first opens
SEED_QUESTION = "Which leaders did Putin call?"  # answered from it alone
NAMES = ("Ingrid", "Tomasz", "Amara", "Kofi", "Lucia", "Hiroshi", "Selma", "Dmitri", "Priya")
SURNAMES = ("Halvorsen", "Wojcik", "Okafor", "Mensah", "Ferreira", "Tanaka", "Lind", "Petrov")
THINGS = ("Zephyr", "Basalt", "Orchid", "Tundra", "Marlin", "Quartz", "Juniper", "Falcon")
WHAT = ("project", "observatory", "ferry line", "seed bank", "glacier survey", "choir")
CLI_FILES = tuple(f"cli{n}.md" for n in range(4))
UPLOADS = tuple(f"up{n}.md" for n in range(4))
# how often each step is drawn: writers from every side, and questions between them
WEIGHTS = {
    "upload": 5,
    "api_delete": 2,
    "cli_index": 3,
    "cli_remove": 2,
    "cli_rebuild": 1,
    "ask": 6,
}


@dataclass(frozen=True)
class Fact:
    """One document's single fact, and the question that asks for it."""

    thing: str
    what: str
    leader: str

    @property
    def text(self) -> str:
        return (
            f"# The {self.thing} {self.what}\n\n"
            f"The {self.thing} {self.what} is led by {self.leader}, who took it over last spring."
            "\n"
        )

    @property
    def question(self) -> str:
        return f"Who leads the {self.thing} {self.what}?"


@dataclass
class History:
    """The model (source -> its fact) and what each step saw."""

    model: dict[str, Fact | None] = field(default_factory=dict)  # None: a source not ours
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    answered: int = 0  # questions on a live document answered from it
    asked: int = 0
    asked_live: int = 0  # questions on a live document
    background: int = 0  # questions asked meanwhile by another client


class Runner:
    """Random steps across a real server and CLI processes, checked against the model."""

    def __init__(
        self, url: str, cli: Callable[..., subprocess.CompletedProcess[str]], docs: Path, seed: int
    ) -> None:
        self.url = url
        self.cli = cli
        self.docs = docs
        self.random = random.Random(seed)
        self.http = httpx.Client(base_url=url, timeout=300, trust_env=False)
        self.history = History()
        self.seen: dict[tuple[str, str], Fact] = {}  # every fact a step has written
        self.files: dict[str, Fact] = {}  # the files in the docs folder, as written

    def fact(self) -> Fact:
        """A fact no document had before, so that an answer shows which version it read."""
        while True:
            thing, what = self.random.choice(THINGS), self.random.choice(WHAT)
            if (thing, what) not in self.seen:
                leader = f"{self.random.choice(NAMES)} {self.random.choice(SURNAMES)}"
                self.seen[thing, what] = Fact(thing, what, leader)
                return self.seen[thing, what]

    def run(self, steps: int) -> History:
        """Take the steps in turn, while another client keeps asking about the seed (so that
        writes land while questions are in flight); stop at the first step that goes wrong."""
        self.history.model = {s: None for s in self.listed()}  # the seed, as the server found it
        stopping = threading.Event()
        meanwhile = threading.Thread(target=self.keep_asking, args=(stopping,), daemon=True)
        meanwhile.start()
        try:
            self.steps(steps)
        finally:
            stopping.set()
            meanwhile.join(timeout=600)
        return self.history

    def steps(self, steps: int) -> None:
        for n in range(steps):
            kind = self.random.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            problems = len(self.history.problems)
            detail = getattr(self, kind)()
            self.history.steps.append(f"{n} {kind} {detail}")
            self.check_sources()
            if len(self.history.problems) > problems:
                return  # the first wrong step is the one to read

    def keep_asking(self, stopping: threading.Event) -> None:
        """Ask the seed's question until stopped: never a 5xx, always answered from it."""
        with httpx.Client(base_url=self.url, timeout=300, trust_env=False) as client:
            while not stopping.is_set():
                response = client.post("/api/ask", json={"question": SEED_QUESTION})
                self.history.background += 1
                body = response.json() if response.status_code < 500 else {}
                cited = {c["source"] for c in body.get("citations", [])}
                if response.status_code >= 500 or cited != {SEED_SOURCE}:
                    self.problem(
                        f"meanwhile, {SEED_QUESTION!r}: {response.status_code} "
                        f"{response.text[:300]}"
                    )
                    return

    def problem(self, text: str) -> None:
        self.history.problems.append(f"step {len(self.history.steps)}: {text}")

    def ok(self, response: httpx.Response, what: str) -> bool:
        if response.status_code >= 500:
            self.problem(f"{what}: {response.status_code} {response.text[:300]}")
            return False
        return True

    # the steps

    def upload(self) -> str:
        name, fact = self.random.choice(UPLOADS), self.fact()
        response = self.http.post(
            "/api/documents", files={"files": (name, fact.text.encode(), "text/markdown")}
        )
        if self.ok(response, f"upload {name}"):
            status = response.json()[0]["status"]
            if status in ("added", "updated"):
                self.history.model[name] = fact
            else:
                self.problem(f"upload {name}: {response.text[:300]}")
        return name

    def api_delete(self) -> str:
        name = self.live_choice()
        if name:
            response = self.http.delete(f"/api/sources/{name}")
            if self.ok(response, f"delete {name}"):
                if response.status_code != 200:
                    self.problem(f"delete {name}: {response.status_code} {response.text[:300]}")
                self.history.model.pop(name, None)
        return name

    def cli_index(self) -> str:
        name, fact = self.random.choice(CLI_FILES), self.fact()
        (self.docs / name).write_text(fact.text, encoding="utf-8")
        self.files[name] = fact
        done = self.cli("index", str(self.docs))
        if done.returncode != 0:
            self.problem(f"qa index: {done.returncode} {done.stderr[-300:]}")
        self.history.model.update(self.files)  # the folder's files, as they are now
        return name

    def cli_remove(self) -> str:
        name = self.live_choice()
        if name:
            done = self.cli("remove", name)
            if done.returncode != 0:
                self.problem(f"qa remove {name}: {done.returncode} {done.stderr[-300:]}")
            self.history.model.pop(name, None)
        return name

    def cli_rebuild(self) -> str:
        done = self.cli("index", "--rebuild")
        if done.returncode != 0:
            self.problem(f"qa index --rebuild: {done.returncode} {done.stderr[-300:]}")
        return ""

    def ask(self) -> str:
        ours = [(s, f) for s, f in self.history.model.items() if f is not None]
        live = set(self.history.model.values())
        gone = [fact for fact in self.seen.values() if fact not in live]
        if not ours and not gone:
            return "(nothing to ask)"
        past = gone and (not ours or self.random.random() < 0.3)  # removed or replaced
        asked = (self.random.choice(gone), "") if past else None
        if asked is None:
            source, fact = self.random.choice(ours)
            asked = (fact, source)
        fact, source = asked
        response = self.http.post("/api/ask", json={"question": fact.question})
        self.history.asked += 1
        if not self.ok(response, f"ask {fact.question!r}"):
            return fact.question
        body = response.json()
        cited = {c["source"] for c in body.get("citations", [])}
        dead = cited - set(self.history.model)
        if dead:
            self.problem(f"ask {fact.question!r} cited sources not indexed: {sorted(dead)}")
        if source:  # a live document's fact: answered from it
            self.history.asked_live += 1
            if body.get("answered") and fact.leader in body.get("answer", "") and source in cited:
                self.history.answered += 1
            else:
                self.problem(
                    f"ask {fact.question!r}: expected {fact.leader} from {source}, got "
                    f"{body.get('answer', '')[:160]!r} citing {sorted(cited)}"
                )
        return fact.question

    # the model

    def listed(self) -> list[str]:
        response = self.http.get("/api/sources")
        if not self.ok(response, "GET /api/sources"):
            return []
        return sorted(item["source"] for item in response.json())

    def check_sources(self) -> None:
        listed = self.listed()
        if listed != sorted(self.history.model):
            self.problem(f"GET /api/sources lists {listed}, the model {sorted(self.history.model)}")

    def live_choice(self) -> str:
        ours = sorted(s for s, f in self.history.model.items() if f is not None)
        return self.random.choice(ours) if ours else ""


def qa_command(data: Path, env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `qa --data-dir DATA ...` in its own process, as a user would in another terminal."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "qa.cli", "--data-dir", str(data), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )

    return run


@contextmanager
def served(
    work: Path, chroma_url: str = "", collection: str = "", seed: int = 0, workers: int = 1
) -> Iterator[Runner]:
    """A `qa serve --workers N` over ``work/data`` (or a Chroma server's collection), and its
    CLI; with more than one worker, questions are answered in processes of their own."""
    from tests.ui.conftest import start_qa_serve

    data, docs = work / "data", work / "docs"
    data.mkdir(parents=True, exist_ok=True)
    docs.mkdir(exist_ok=True)
    extra = {"QA_UPLOADS_PER_MINUTE": "100000", "QA_WORKERS": str(workers)}
    if chroma_url:
        extra |= {"QA_CHROMA_URL": chroma_url, "QA_COLLECTION": collection}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", **extra}
    proc, url = start_qa_serve(data, **extra)
    runner = Runner(url, qa_command(data, env), docs, seed)
    try:
        yield runner
    finally:
        runner.http.close()
        stop(proc)


def run_history(
    work: Path, steps: int, seed: int, chroma_url: str = "", collection: str = "", workers: int = 1
) -> tuple[History, float]:
    """``steps`` seeded steps against a fresh server; the history and its seconds."""
    started = time.monotonic()
    with served(work, chroma_url, collection, seed, workers) as runner:
        history = runner.run(steps)
    return history, time.monotonic() - started


def summary(history: History) -> dict[str, Any]:
    return {
        "steps": len(history.steps),
        "asked": history.asked,
        "asked_live": history.asked_live,
        "answered_from_live": history.answered,
        "asked_meanwhile": history.background,
        "problems": len(history.problems),
        "first_problems": history.problems[:3],
    }
