"""The HTTP API fuzzed from its own OpenAPI schema (schemathesis): no 5xx, responses conform."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.reliability.conftest import Served

pytestmark = pytest.mark.integration

EXAMPLES = 40  # per operation and mode: enough to reach the edges, well under a minute in all


@pytest.fixture(scope="module")
def operations(served: Served) -> dict[str, Any]:
    """The operations the running server's /openapi.json describes, by label."""
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json", timeout=30)
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[operation.label] = operation
    return found


def test_the_schema_describes_ask_and_healthz(operations: dict[str, Any]) -> None:
    assert set(operations) == {"POST /api/ask", "GET /healthz"}


def fuzz(operation: Any, url: str, mode: str) -> int:
    """Send EXAMPLES generated requests and run all of schemathesis's checks on each response;
    the number of requests sent."""
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
        case.call_and_validate(base_url=url, timeout=60)

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
