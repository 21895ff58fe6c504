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


def fuzz(operation: Any, url: str, mode: str, excluded: tuple[str, ...] = ()) -> int:
    """Send EXAMPLES generated requests and run schemathesis's checks on each response, but
    the ``excluded`` ones; the number of requests sent."""
    import schemathesis.checks
    from schemathesis import GenerationMode

    skip = [getattr(schemathesis.checks, name) for name in excluded]
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
        case.call_and_validate(base_url=url, excluded_checks=skip, timeout=60)

    check()
    return len(calls)


# Three checks fail today, each held by a strict xfail below until ui/http_api.py's schema says
# what the server does: schema-valid questions are refused (422), some status codes are not
# documented (400, 401), and the schema demands HTTP basic auth even with QA_AUTH off, so
# requests without it are "schema-violating" yet answered, and "bad credentials are refused"
# cannot hold for this server (auth itself is tested in tests/ui/test_http_api.py).
KNOWN_GAPS = (
    "positive_data_acceptance",
    "status_code_conformance",
    "negative_data_rejection",
    "ignored_auth",
)


@pytest.mark.parametrize(
    ("label", "mode"),
    [("POST /api/ask", "positive"), ("POST /api/ask", "negative"), ("GET /healthz", "positive")],
)
def test_fuzzed_requests_get_no_5xx_and_well_formed_responses(
    operations: dict[str, Any], served: Served, label: str, mode: str
) -> None:
    assert fuzz(operations[label], served.url, mode, excluded=KNOWN_GAPS) > 0


@pytest.mark.xfail(
    strict=True,
    reason="ui/http_api.py: AskRequest.question declares no minLength/maxLength/pattern, so "
    "schema-valid questions ('' or over QA_MAX_QUESTION_CHARS) get 422; see the issue 7 report",
)
def test_every_question_the_schema_allows_is_accepted(
    operations: dict[str, Any], served: Served
) -> None:
    fuzz(operations["POST /api/ask"], served.url, "positive", excluded=KNOWN_GAPS[1:])


@pytest.mark.xfail(
    strict=True,
    reason="ui/http_api.py: the schema declares HTTP basic auth on /api/ask even when QA_AUTH is "
    "off, so requests without credentials violate it yet get 200; see the issue 7 report",
)
def test_every_request_the_schema_forbids_is_refused(
    operations: dict[str, Any], served: Served
) -> None:
    excluded = ("positive_data_acceptance", "status_code_conformance", "ignored_auth")
    fuzz(operations["POST /api/ask"], served.url, "negative", excluded=excluded)


@pytest.mark.xfail(
    strict=True,
    reason="ui/http_api.py: /api/ask answers 400 (body not JSON) and, with auth off, 401 (a "
    "malformed Authorization header) without documenting either; see the issue 7 report",
)
def test_every_status_code_the_api_answers_is_documented(
    operations: dict[str, Any], served: Served
) -> None:
    excluded = ("positive_data_acceptance", "negative_data_rejection", "ignored_auth")
    fuzz(operations["POST /api/ask"], served.url, "negative", excluded=excluded)
