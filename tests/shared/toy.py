"""A tiny aggregate for testing the shared machinery without any service's domain."""

from __future__ import annotations

from pydantic import BaseModel

from shared.domain import Aggregate, DomainEvent, EventRegistry, require

registry = EventRegistry("toy")


@registry.register
class Opened(DomainEvent):
    label: str


@registry.register
class Incremented(DomainEvent):
    by: int


class CounterState(BaseModel):
    label: str = ""
    total: int = 0


class Counter(Aggregate[CounterState]):
    state_type = CounterState

    def open(self, label: str) -> None:
        require(not self.exists, "already-open", "the counter is already open")
        self.record(Opened(label=label))

    def increment(self, by: int) -> None:
        require(self.exists, "not-open", "open the counter first")
        self.record(Incremented(by=by))

    def when_Opened(self, event: Opened) -> None:
        self.state.label = event.label

    def when_Incremented(self, event: Incremented) -> None:
        self.state.total += event.by
