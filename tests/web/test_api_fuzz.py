"""A property-based fuzz of the whole API from its own OpenAPI document (schemathesis):
with a valid token and without one, valid and invalid requests alike get no 5xx and no
response that breaks the schema the document promises."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from integration.hub import Hub
from integration.store import session_scope
from integration.web.app import create_app
from integration.web.tokens import create_token
from tests.web.conftest import HubData

#: examples per generation mode and token state: the whole file stays well under a minute
EXAMPLES = 60
CHECKS = [not_a_server_error, response_schema_conformance]


def _fuzz(hub: Hub, headers: dict[str, str], mode: GenerationMode, examples: int) -> set[int]:
    app = create_app(hub)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: set[int] = set()

    @given(case=schema.as_strategy(mode), authorized=st.booleans())
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case, authorized: bool) -> None:
        response = case.call_and_validate(headers=headers if authorized else {}, checks=CHECKS)
        statuses.add(response.status_code)

    run()
    return statuses


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzz_with_and_without_a_token_finds_no_5xx_and_no_broken_schema(
    web_hub: Hub, golden_hub: HubData, mode: GenerationMode
) -> None:
    with session_scope(web_hub.engine) as session:
        token, _ = create_token(session, "fuzz", ["read", "pii"])
    statuses = _fuzz(web_hub, {"Authorization": f"Bearer {token}"}, mode, EXAMPLES)
    assert not {s for s in statuses if s >= 500}
    # the fuzz reached both sides of the door: refused without a token, answered with one
    assert 401 in statuses
    assert statuses & ({200} if mode is GenerationMode.POSITIVE else {200, 404, 422})


def test_fuzz_with_a_masked_token(web_hub: Hub, golden_hub: HubData) -> None:
    with session_scope(web_hub.engine) as session:
        token, _ = create_token(session, "fuzz-read", ["read"])
    statuses = _fuzz(
        web_hub, {"Authorization": f"Bearer {token}"}, GenerationMode.POSITIVE, EXAMPLES // 2
    )
    assert not {s for s in statuses if s >= 500}
