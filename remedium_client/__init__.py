"""Typed Python client of Remedium's intake API (supplier portals, hotlines, enterprise
platforms).

    from remedium_client import RemediumClient, Invalid

    with RemediumClient("https://remedium.example.com", api_key) as client:
        submitted = client.submit_allegation(allegation, idempotency_key="portal-42-7")
        for incident in client.list_incidents(country="CD", mineral="cobalt"):
            ...
"""

from remedium_client.client import RemediumClient, __version__, encode_json
from remedium_client.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RemediumError,
    RemediumProblem,
    RemediumUnavailable,
    Unauthorized,
)
from remedium_client.models import BatchItem, CommandAccepted, SubmittedAllegation

__all__ = [
    "BatchItem",
    "CommandAccepted",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotFound",
    "RemediumClient",
    "RemediumError",
    "RemediumProblem",
    "RemediumUnavailable",
    "SubmittedAllegation",
    "Unauthorized",
    "__version__",
    "encode_json",
]
