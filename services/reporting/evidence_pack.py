"""The evidence pack: every event of one incident, from every service, with its hash chain,
in one JSON document an auditor can check offline (``remedium verify-pack pack.json``).

Each service chains the events of a stream (``prevhash`` -> ``hash``, SHA-256 over the event).
Verifying the pack recomputes every hash and follows every chain, so an altered, deleted or
reordered event is named by stream and version. ``heads`` records each stream's last version
and hash when the pack was made: compare them with ``GET /v1/incidents/{id}/verification`` of
the live system to know that nothing was cut off the end of a chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.envelope import EventEnvelope, verify_chain

PACK_FORMAT = "remedium-evidence-pack/1"


def chains(envelopes: list[EventEnvelope]) -> dict[str, list[EventEnvelope]]:
    """The events of each stream, named ``<source> <stream id>``, in stream order."""
    streams: dict[str, list[EventEnvelope]] = {}
    for envelope in envelopes:
        streams.setdefault(f"{envelope.source} {envelope.streamid}", []).append(envelope)
    return {
        name: sorted(items, key=lambda e: e.streamversion)
        for name, items in sorted(streams.items())
    }


def chain_problems(streams: dict[str, list[EventEnvelope]]) -> list[str]:
    return [
        f"{name.split()[0]}: {problem}"
        for name, items in streams.items()
        for problem in verify_chain(items)
    ]


def heads(streams: dict[str, list[EventEnvelope]]) -> dict[str, dict[str, Any]]:
    return {
        name: {"version": items[-1].streamversion, "hash": items[-1].hash}
        for name, items in streams.items()
    }


def build_pack(incident_id: str, tenant: str, envelopes: list[EventEnvelope]) -> dict[str, Any]:
    return {
        "format": PACK_FORMAT,
        "incident_id": incident_id,
        "tenant": tenant,
        "heads": heads(chains(envelopes)),
        "events": [e.to_structured() for e in envelopes],
    }


@dataclass(frozen=True)
class PackCheck:
    incident_id: str
    events: int
    streams: int
    problems: list[str]


def verify_pack(document: dict[str, Any]) -> PackCheck:
    """Check a pack without any database, broker or network."""
    if document.get("format") != PACK_FORMAT:
        return PackCheck(str(document.get("incident_id")), 0, 0, [f"not a {PACK_FORMAT}"])
    envelopes = [EventEnvelope.from_structured(event) for event in document["events"]]
    streams = chains(envelopes)
    problems = chain_problems(streams)
    found = heads(streams)
    for name, head in document.get("heads", {}).items():
        if found.get(name) != head:
            problems.append(
                f"{name.split()[0]}: stream {name.split()[-1]} should end at version "
                f"{head['version']} (events missing from the end)"
            )
    return PackCheck(document["incident_id"], len(envelopes), len(streams), problems)
