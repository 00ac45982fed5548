"""Every operation of a service, read from its OpenAPI spec, with what the route requires
(authentication, roles) read from the route's dependencies, and a request that fills in the
path ids, required query parameters and the schema's example body."""

from __future__ import annotations

import importlib
import inspect
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from shared.app import ops_router
from shared.cli import SERVICES
from shared.http import authenticated


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    spec: dict[str, Any]
    authenticated: bool
    roles: frozenset[str]
    """Roles of which the caller needs one; empty when any authenticated caller may."""

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "path"]

    def url(self, ids: dict[str, str]) -> str:
        path = self.path
        for name in self.path_params:
            path = path.replace(f"{{{name}}}", ids.get(name) or str(uuid.uuid4()))
        return path

    def query(self) -> dict[str, str]:
        return {
            p["name"]: "audit"
            for p in self.spec.get("parameters", [])
            if p["in"] == "query" and p.get("required")
        }


def operations(service: str, app: FastAPI) -> Iterator[Operation]:
    spec = app.openapi()
    routers = [*importlib.import_module(SERVICES[service]).definition.routers, ops_router()]
    routes = {
        (method, route.path): route
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            route = routes[(method.upper(), path)]
            yield Operation(
                service,
                method.upper(),
                path,
                operation,
                authenticated=_needs(route.dependant, authenticated),
                roles=frozenset(_roles(route.dependant)),
            )


def example_body(app: FastAPI, operation: Operation) -> Any:
    """The example of the request body's schema, or ``{}`` when it declares none."""
    content = operation.spec.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "").rsplit("/", 1)[-1]
    component = app.openapi()["components"]["schemas"].get(ref, schema)
    examples = component.get("examples") or [component.get("example", {})]
    return examples[0]


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def _needs(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call for d in _dependencies(dependant))


def _roles(dependant: Dependant) -> set[str]:
    """The ``roles`` of every ``require_roles(*roles)`` check on the route."""
    found: set[str] = set()
    for dependency in _dependencies(dependant):
        call = dependency.call
        if call is not None and getattr(call, "__qualname__", "").startswith("require_roles."):
            found.update(inspect.getclosurevars(call).nonlocals["roles"])
    return found
