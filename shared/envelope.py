"""CloudEvents 1.0 envelope with Remedium's extensions and the per-stream SHA-256 hash chain.

On Kafka the envelope travels in the binary content mode: attributes as ``ce_*`` headers, the
payload as the JSON body, the incident id as the key (so one incident stays in one partition).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

import orjson

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
    """Stable JSON bytes: sorted keys, no spaces, UTF-8. Hashed by the chain; signed webhooks."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class EventEnvelope:
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    tenant: str
    streamid: str
    streamversion: int
    actor: str
    correlationid: str
    causationid: str
    data: dict[str, Any]
    prevhash: str = GENESIS_HASH
    hash: str = ""
    datacontenttype: str = CONTENT_TYPE
    specversion: str = SPEC_VERSION

    # --- hash chain ---------------------------------------------------------------------
    def chain_material(self) -> bytes:
        """Everything that must not change without breaking the chain."""
        return canonical_json(
            {
                "id": self.id,
                "type": self.type,
                "source": self.source,
                "subject": self.subject,
                "time": self.time_iso,
                "tenant": self.tenant,
                "streamid": self.streamid,
                "streamversion": self.streamversion,
                "actor": self.actor,
                "data": self.data,
                "prevhash": self.prevhash,
            }
        )

    def computed_hash(self) -> str:
        return hashlib.sha256(self.chain_material()).hexdigest()

    def sealed(self, prevhash: str) -> EventEnvelope:
        """This envelope linked to its predecessor, with its own hash filled in."""
        return replace(self, prevhash=prevhash, hash="").with_hash()

    def with_hash(self) -> EventEnvelope:
        """This envelope (already linked by ``prevhash``) with its own hash filled in."""
        object.__setattr__(self, "hash", self.computed_hash())  # still being built
        return self

    # --- representations -----------------------------------------------------------------
    @property
    def time_iso(self) -> str:
        return self.time.isoformat().replace("+00:00", "Z")

    def attributes(self) -> dict[str, Any]:
        """CloudEvents attributes (without data), time as RFC 3339 text."""
        # Not ``asdict``: it deep-copies ``data``, which cost the relay half its time.
        values = {name: getattr(self, name) for name in _FIELD_NAMES if name != "data"}
        values["time"] = self.time_iso
        return values

    def to_structured(self) -> dict[str, Any]:
        """CloudEvents JSON structured format (used by HTTP exports and the evidence pack)."""
        return {**self.attributes(), "data": self.data}

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """Attributes and extensions as ``ce_*`` headers, in a fixed order."""
        return [
            *_FIXED_HEADERS,
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_subject", self.subject.encode()),
            ("ce_time", self.time_iso.encode()),
            ("ce_tenant", self.tenant.encode()),
            ("ce_streamid", self.streamid.encode()),
            ("ce_streamversion", str(self.streamversion).encode()),
            ("ce_actor", self.actor.encode()),
            ("ce_correlationid", self.correlationid.encode()),
            ("ce_causationid", self.causationid.encode()),
            ("ce_hash", self.hash.encode()),
            ("ce_prevhash", self.prevhash.encode()),
        ]

    def kafka_value(self) -> bytes:
        """The payload as JSON with sorted keys, written by orjson (the relay serialises every
        event). Byte for byte :func:`canonical_json` except how floats are spelled; readers
        parse it and the chain hashes the parsed data, so that difference never matters."""
        return orjson.dumps(self.data, option=orjson.OPT_SORT_KEYS)

    @classmethod
    def from_kafka(cls, headers: list[tuple[str, bytes]], value: bytes) -> EventEnvelope:
        attrs = {k[3:]: v.decode() for k, v in headers if k.startswith("ce_")}
        return cls.from_attributes(attrs, json.loads(value))

    @classmethod
    def from_structured(cls, document: dict[str, Any]) -> EventEnvelope:
        attrs = {k: v for k, v in document.items() if k != "data"}
        return cls.from_attributes(attrs, document["data"])

    @classmethod
    def from_attributes(cls, attrs: dict[str, Any], data: dict[str, Any]) -> EventEnvelope:
        return cls(
            id=attrs["id"],
            source=attrs["source"],
            type=attrs["type"],
            subject=attrs["subject"],
            time=datetime.fromisoformat(str(attrs["time"]).replace("Z", "+00:00")),
            tenant=attrs["tenant"],
            streamid=attrs["streamid"],
            streamversion=int(attrs["streamversion"]),
            actor=attrs["actor"],
            correlationid=attrs["correlationid"],
            causationid=attrs["causationid"],
            data=data,
            prevhash=attrs.get("prevhash", GENESIS_HASH),
            hash=attrs.get("hash", ""),
        )


_FIELD_NAMES = tuple(field.name for field in fields(EventEnvelope))
_FIXED_HEADERS = (
    ("ce_specversion", SPEC_VERSION.encode()),
    ("content-type", CONTENT_TYPE.encode()),
)


def verify_chain(envelopes: list[EventEnvelope]) -> list[str]:
    """Problems found in one stream's chain, in order; empty when the chain is intact.

    Detects altered events (hash mismatch), deleted or reordered events (version gaps or a
    ``prevhash`` that does not point at the previous event's hash).
    """
    problems: list[str] = []
    previous_hash = GENESIS_HASH
    expected_version = 1
    for envelope in envelopes:
        where = f"stream {envelope.streamid} version {envelope.streamversion}"
        if envelope.streamversion != expected_version:
            problems.append(f"{where}: expected version {expected_version} (missing or reordered)")
        if envelope.prevhash != previous_hash:
            problems.append(f"{where}: prevhash does not match the previous event's hash")
        if envelope.computed_hash() != envelope.hash:
            problems.append(f"{where}: content does not match its hash (altered)")
        previous_hash = envelope.hash
        expected_version = envelope.streamversion + 1
    return problems
