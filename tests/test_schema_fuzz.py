"""schemathesis over the live server's OpenAPI schema: no generated request gets a 5xx.

schemathesis' own pytest loader (``from_fixture``) does not work with pytest 9 yet, so each
operation's hypothesis strategy is driven directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from server.app import create_app
from server.composition.components import Components
from tests.conftest import make_settings
from tests.helpers import live_server

EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def api_schema(built: tuple, parts: Components) -> Iterator[Any]:  # type: ignore[type-arg]
    app_settings = make_settings(built[0].index.index_dir, rate_limit_per_minute=0)
    app = create_app(app_settings, parts.derive(app_settings))
    with live_server(app) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json").include(
            path_regex="^/(v1|healthz|readyz)"
        )


@pytest.mark.slow  # hundreds of generated requests
def test_generated_requests_never_get_a_server_error(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error], timeout=60)

        call()
