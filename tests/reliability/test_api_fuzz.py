"""The HTTP API fuzzed from its own OpenAPI schema (schemathesis): no 5xx, responses conform."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from tests.reliability.conftest import Served
from tests.ui.conftest import HEADLINE, HEADLINE_SENTENCE, ThreadedServer

pytestmark = pytest.mark.integration

EXAMPLES = 40  # per operation and mode: enough to reach the edges, well under a minute in all
DOCUMENTS = {"POST /api/documents", "GET /api/sources", "DELETE /api/sources/{name}"}


def operations_of(url: str) -> dict[str, Any]:
    """The operations a running server's /openapi.json describes, by label."""
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", timeout=30)
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[operation.label] = operation
    return found


@pytest.fixture(scope="module")
def operations(served: Served) -> dict[str, Any]:
    return operations_of(served.url)


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Served]:
    """The real app over a store of its own, for fuzzing what writes (uploads, removals):
    whatever the fuzzer adds or removes there, the shared server's store stays as it was."""
    from qa import build_assistant
    from ui.server import create_app

    data = tmp_path_factory.mktemp("fuzzed-documents")
    assistant = build_assistant(data_dir=data, embedder=embedder, uploads_per_minute=100_000)
    with ThreadedServer(create_app(assistant.settings, assistant)) as server:
        yield Served(server.url, data, data / "server.log")


def test_the_schema_describes_ask_healthz_and_the_documents(operations: dict[str, Any]) -> None:
    assert {"POST /api/ask", "GET /healthz", *DOCUMENTS} <= set(operations)


def fuzz(operation: Any, url: str, mode: str, excluded: list[Any] | None = None) -> int:
    """Send EXAMPLES generated requests and run all of schemathesis's checks (but ``excluded``)
    on each response; the number of requests sent."""
    from schemathesis import GenerationMode

    strategy = operation.as_strategy(GenerationMode(mode))
    calls = []

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        calls.append(case)
        case.call_and_validate(base_url=url, timeout=60, excluded_checks=excluded)

    check()
    return len(calls)


@pytest.mark.parametrize(
    ("label", "mode"),
    [("POST /api/ask", "positive"), ("POST /api/ask", "negative"), ("GET /healthz", "positive")],
)
def test_fuzzed_requests_get_no_5xx_and_well_formed_responses(
    operations: dict[str, Any], served: Served, label: str, mode: str
) -> None:
    assert fuzz(operations[label], served.url, mode) > 0


@pytest.mark.parametrize(
    ("label", "mode"),
    [
        ("POST /api/documents", "positive"),
        ("POST /api/documents", "negative"),
        ("GET /api/sources", "positive"),
        ("DELETE /api/sources/{name}", "positive"),  # any string is a name: no negative mode
    ],
)
def test_fuzzed_document_requests_get_no_5xx_and_well_formed_responses(
    writable: Served, label: str, mode: str
) -> None:
    from schemathesis.checks import negative_data_rejection

    # a file part is bytes whatever type the generator meant its content to have: a "number"
    # or "object" file is still a file, so uploads' negative cases are not all invalid
    excluded = [negative_data_rejection] if label == "POST /api/documents" else []
    assert fuzz(operations_of(writable.url)[label], writable.url, mode, excluded) > 0


def test_fuzzing_the_documents_left_the_shared_store_alone(served: Served) -> None:
    listed = httpx.get(f"{served.url}/api/sources", timeout=30).json()
    assert {"article.txt", "lighthouse.txt"} <= {item["source"] for item in listed}
    reply = httpx.post(f"{served.url}/api/ask", json={"question": HEADLINE}, timeout=60).json()
    assert reply["citations"][0]["text"] == HEADLINE_SENTENCE
