"""Building blocks of every service's domain: events, aggregates, the event registry.

Plain Python + pydantic: no web framework, database or broker here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from shared.errors import PreconditionFailed


class DomainEvent(BaseModel):
    """A fact that happened. Frozen, versioned, free of personal data.

    The class name is the event name; ``schema_version`` is bumped when the payload changes
    shape, and an upcaster registered in the service's :class:`EventRegistry` lifts old payloads.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: ClassVar[int] = 1

    @classmethod
    def name(cls) -> str:
        return cls.__name__


E = TypeVar("E", bound=type[DomainEvent])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class EventRegistry:
    """Maps CloudEvents ``type`` strings to event classes, and upcasts old payload versions."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._by_name: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, cls: E) -> E:
        self._by_name[cls.name()] = cls
        return cls

    def upcaster(self, name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function lifting payload ``from_version`` of event ``name`` by one version."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(name, from_version)] = fn
            return fn

        return decorate

    def type_of(self, event: DomainEvent) -> str:
        return f"org.remedium.{self.service}.{event.name()}.v{event.schema_version}"

    @staticmethod
    def parse_type(event_type: str) -> tuple[str, str, int]:
        """``org.remedium.intake.AllegationReceived.v1`` -> ("intake", "AllegationReceived", 1)."""
        parts = event_type.split(".")
        return parts[2], parts[3], int(parts[4].lstrip("v"))

    def __contains__(self, event_type: str) -> bool:
        return self.parse_type(event_type)[1] in self._by_name

    @property
    def names(self) -> list[str]:
        return sorted(self._by_name)

    def load(self, event_type: str, payload: dict[str, Any]) -> DomainEvent:
        _, name, version = self.parse_type(event_type)
        cls = self._by_name[name]
        while version < cls.schema_version:
            payload = self._upcasters[(name, version)](payload)
            version += 1
        return cls.model_validate(payload)


@dataclass(frozen=True)
class Actor:
    """Who issues a command: the API key's subject, its tenant and its roles."""

    subject: str
    tenant: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles)) or "admin" in self.roles


@dataclass(frozen=True)
class CommandContext:
    actor: Actor
    now: datetime


S = TypeVar("S", bound=BaseModel)


class Aggregate(Generic[S]):
    """An event-sourced aggregate: state is a pydantic model rebuilt by applying events.

    Subclasses set ``state_type`` and define ``when_<EventName>(event)`` methods that mutate
    ``self.state``. Commands call :meth:`record`, which applies the event and remembers it as a
    pending change for the handler to append.
    """

    state_type: ClassVar[type[BaseModel]]

    def __init__(self, stream_id: str, state: S | None = None, version: int = 0) -> None:
        self.stream_id = stream_id
        self.state: S = state if state is not None else self.state_type()  # type: ignore[assignment]
        self.version = version
        self.changes: list[DomainEvent] = []

    @property
    def exists(self) -> bool:
        return self.version > 0 or bool(self.changes)

    def apply(self, event: DomainEvent) -> None:
        handler = getattr(self, f"when_{event.name()}", None)
        if handler is not None:
            handler(event)

    def replay(self, events: list[DomainEvent]) -> None:
        for event in events:
            self.apply(event)
            self.version += 1

    def record(self, event: DomainEvent) -> None:
        self.apply(event)
        self.changes.append(event)

    def snapshot(self) -> dict[str, Any]:
        return self.state.model_dump(mode="json")

    @classmethod
    def from_snapshot(cls, stream_id: str, data: dict[str, Any], version: int) -> Aggregate[Any]:
        state: Any = cls.state_type.model_validate(data)
        return cls(stream_id, state, version)


def require(condition: bool, code: str, detail: str) -> None:
    """Guard helper: refuse a transition with a 409 problem that names the missing precondition."""
    if not condition:
        raise PreconditionFailed(detail, code=code)
