"""Constrained field types shared by the commands, and the helper that adds an OpenAPI example.

Organisations that must be matched against each other (a consent's recipients, an action's
provider and owner) are lowercase codes, so "IOM-Kinshasa" and "iom kinshasa" can never be two
spellings of one organisation. Display names (a funder) are free text.
"""

from __future__ import annotations

from decimal import Decimal
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
"""A list whose items must not repeat (e.g. the same purpose twice)."""

Code = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
]
"""A short identifier: an API key's subject, a staff code."""
OrganisationCode = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$",
        description="Organisation code, lowercase (e.g. iom-kinshasa); matched exactly",
    ),
]
OrganisationName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
"""A short non-identifying label (a community, an indicator, a unit)."""
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000)]
CaseText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=5000)]
"""Reasoning about the case (exit strategy, best interests): never a name or a description of a
person that could identify them."""
LanguageCode = Annotated[
    str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", description="BCP 47 language, e.g. sw or fr-CD")
]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency")]
Amount = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]
"""Money in major units with at most two decimals, sent as a string ("1500.00") or a number."""
PositiveAmount = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=2)]


def example(payload: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [payload]})
