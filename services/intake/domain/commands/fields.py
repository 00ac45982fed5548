"""Constrained field types shared by the commands, and the helper that adds an OpenAPI example."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from ..enums import AbuseType, IloIndicator

SMELTER_CID_PATTERN = r"^(CID\d{6}|not_listed|not_yet_identified)$"
MAX_EVIDENCE_BYTES = 5 * 1024**3


def _no_repeats(items: list[Any]) -> list[Any]:
    if len(set(items)) != len(items):
        raise ValueError("items must not repeat")
    return items


T = TypeVar("T")
UniqueList = Annotated[
    list[T], AfterValidator(_no_repeats), Field(json_schema_extra={"uniqueItems": True})
]
"""A list whose items must not repeat (e.g. the same mineral twice)."""

Code = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
]
"""A short identifier: a staff subject, a site code, an organisation code."""
OrganisationName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=5000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
SmelterCid = Annotated[
    str,
    Field(
        pattern=SMELTER_CID_PATTERN,
        description="RMI Smelter ID (CID + 6 digits), or not_listed / not_yet_identified",
    ),
]
AbuseTypes = UniqueList[AbuseType]
IloIndicators = UniqueList[IloIndicator]


def example(payload: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [payload]})
