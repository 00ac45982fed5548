"""Constrained field types shared by the commands, and the helper that adds an OpenAPI example.

Kept here rather than imported from plan: services share only ``shared/`` and each other's events.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints


def _no_repeats(items: list[Any]) -> list[Any]:
    if len(set(items)) != len(items):
        raise ValueError("items must not repeat")
    return items


T = TypeVar("T")
UniqueList = Annotated[
    list[T], AfterValidator(_no_repeats), Field(json_schema_extra={"uniqueItems": True})
]
"""A list whose items must not repeat (e.g. the same action twice)."""

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
"""A short non-identifying label (an indicator, a unit)."""
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000)]
CaseText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=5000)]
"""Reasoning or findings about the case: never a name or a description of a person that could
identify them."""
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lowercase hex")]
ChecklistItem = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="Checklist item code")
]


def example(payload: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [payload]})
