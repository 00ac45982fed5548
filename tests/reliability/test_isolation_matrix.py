"""Tenant isolation and roles over every endpoint of every service, generated from the OpenAPI
specs: a new endpoint is checked without anyone writing a test for it.

For each operation: no key -> 401; a key of the same tenant without any of the route's roles
-> 403; a key of another tenant holding every role (admin) -> 404 for anything under the
walked incident, and lists that never name it."""

from __future__ import annotations

import pytest

from shared.auth import ROLES, ApiKeys
from shared.database import make_engine
from tests.reliability.conftest import Walked
from tests.reliability.endpoints import Operation, example_body, operations
from tests.support.system import System, unique_tenant

NEVER_SENT = {"admin"}
"""Roles the matrix never uses as 'the role without access': admin holds every role."""


def path_ids(walked: Walked) -> dict[str, str]:
    ids = walked.ids
    return {
        "incident_id": walked.incident,
        "victim_id": ids["victim"],
        "person_id": ids["victim"],
        "consent_id": ids["consent"],
        "action_id": ids["removal"],
    }


def all_operations(system: System) -> list[Operation]:
    return [
        operation
        for name, running in system.services.items()
        for operation in operations(name, running.app)
        if operation.authenticated
    ]


def send(system: System, operation: Operation, walked: Walked, key: str | None):
    running = system.services[operation.service]
    with running.client(key) as http:
        return http.request(
            operation.method,
            operation.url(path_ids(walked)),
            params=operation.query(),
            json=example_body(running.app, operation) if "requestBody" in operation.spec else None,
        )


@pytest.fixture(scope="module")
def foreign_admin(system: System) -> str:
    keys = ApiKeys(make_engine(system.settings.auth_url()))
    return keys.create(tenant=unique_tenant("globex"), subject="globex-admin", roles=["admin"])


@pytest.fixture(scope="module")
def owner_admin(system: System) -> str:
    keys = ApiKeys(make_engine(system.settings.auth_url()))
    return keys.create(tenant=system.tenant, subject="acme-admin", roles=["admin"])


def problem_type(response) -> str:
    return str(response.json().get("type")) if response.status_code >= 400 else ""


def test_every_service_is_in_the_matrix(system: System) -> None:
    covered = {operation.service for operation in all_operations(system)}
    assert covered == set(system.services)


def test_no_key_gets_401_everywhere(system: System, walked: Walked) -> None:
    wrong = {
        str(op): response.status_code
        for op in all_operations(system)
        if (response := send(system, op, walked, None)).status_code != 401
    }
    assert wrong == {}


def test_a_key_without_the_routes_roles_gets_403(system: System, walked: Walked) -> None:
    wrong: dict[str, str] = {}
    checked = 0
    for op in all_operations(system):
        lacking = sorted(ROLES - op.roles - NEVER_SENT)
        if not op.roles or not lacking:
            continue
        for role in lacking:
            if role not in system.keys:
                continue
            checked += 1
            response = send(system, op, walked, system.keys[role])
            if response.status_code != 403:
                wrong[f"{op} as {role}"] = f"{response.status_code} {response.text[:120]}"
    assert checked and wrong == {}


def test_another_tenant_never_sees_the_incident(
    system: System, walked: Walked, foreign_admin: str, owner_admin: str
) -> None:
    """404 for everything under the incident. A 422 passes only when the owner gets the very
    same problem for the same body (it names something unknown to anyone, e.g. a related
    incident), so the answer cannot tell the incident exists."""
    leaked: dict[str, str] = {}
    for op in all_operations(system):
        if "incident_id" in op.path_params:
            response = send(system, op, walked, foreign_admin)
            if response.status_code == 422 and problem_type(response) == problem_type(
                send(system, op, walked, owner_admin)
            ):
                continue
            if response.status_code != 404:
                leaked[str(op)] = f"{response.status_code} {response.text[:160]}"
        elif op.method == "GET" and not op.path_params:
            response = send(system, op, walked, foreign_admin)
            if walked.incident in response.text or walked.ids["victim"] in response.text:
                leaked[str(op)] = "names the other tenant's incident"
    assert leaked == {}


def test_the_owner_reaches_what_the_other_tenant_cannot(system: System, walked: Walked) -> None:
    """The 404s above are isolation, not broken paths: the owner's reads of the same URLs work."""
    refused = {
        str(op): response.status_code
        for op in all_operations(system)
        if op.method == "GET" and "incident_id" in op.path_params
        if (response := send(system, op, walked, system.keys["auditor"])).status_code == 404
        and "auditor" in op.roles
    }
    assert refused == {}
