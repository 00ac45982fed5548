"""RFC 9457 problem responses: every error a client can cause gets a stable ``type`` and a 4xx.

Validation errors never echo the submitted values back (they may hold personal data).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import RemediumError

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:remedium:problem:"


def problem(
    status: int, code: str, title: str, detail: str, instance: str | None = None, **extensions: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def problem_body(error: RemediumError) -> dict[str, Any]:
    """The problem document of ``error`` (for batch results, where each item has its own)."""
    return {
        "type": TYPE_PREFIX + error.code,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        **error.extensions,
    }


def _validation_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "location": [str(part) for part in item.get("loc", ())],
            "message": item.get("msg", ""),
            "kind": item.get("type", ""),
        }
        for item in error.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RemediumError)
    async def _domain_error(request: Request, error: RemediumError) -> JSONResponse:
        return problem(
            error.status,
            error.code,
            error.title,
            error.detail,
            request.url.path,
            **error.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(error)
        malformed = any(item["kind"] == "json_invalid" for item in errors)
        return problem(
            422,
            "malformed-json" if malformed else "invalid-request",
            "The request body is not valid JSON" if malformed else "The request is invalid",
            "; ".join(f"{'.'.join(item['location'])}: {item['message']}" for item in errors)[:2000],
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}
        response = problem(
            error.status_code,
            f"http-{error.status_code}",
            titles.get(error.status_code, "HTTP error"),
            str(error.detail),
            request.url.path,
        )
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error(
            "unhandled %s on %s %s",
            type(error).__name__,
            request.method,
            request.url.path,
            exc_info=error,
        )
        return problem(
            500, "internal-error", "Internal error", "the error was logged", request.url.path
        )


# Shared OpenAPI description of problem responses, for ``responses=`` on routes.
PROBLEM_SCHEMA: dict[str, Any] = {
    "content": {
        PROBLEM_MEDIA_TYPE: {
            "schema": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "instance": {"type": "string"},
                },
                "required": ["type", "title", "status", "detail"],
            },
            "example": {
                "type": TYPE_PREFIX + "precondition-failed",
                "title": "The current state does not allow this",
                "status": 409,
                "detail": "a case manager must be assigned before triage",
            },
        }
    }
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        401: "Missing or invalid API key",
        403: "Role not allowed",
        404: "Unknown resource, or another tenant's",
        409: "Illegal transition or concurrent change",
        412: "If-Match does not match",
        413: "Body too large",
        422: "Invalid input",
    }
    return {status: {"description": descriptions[status], **PROBLEM_SCHEMA} for status in statuses}
