"""Webhook subscriptions: an enterprise platform asks for the tenant's events at a URL.

A subscription is registered with an HTTPS (or HTTP) endpoint and a filter of CloudEvents types,
can be paused, resumed and deleted, and records each replay and dead-letter redelivery it was
asked for. Its signing secret never appears here: the events carry only the vault reference of
the encrypted secret.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
    model_validator,
)

from shared.domain import Aggregate, CommandContext, DomainEvent, EventRegistry, require

registry = EventRegistry("feed")

EVERYTHING = "*"
EventTypePattern = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=200, pattern=r"^(\*|org\.remedium\.[A-Za-z0-9.]*\*?)$"
    ),
]
"""A CloudEvents type (``org.remedium.intake.AllegationVerified.v1``), a prefix ending in ``*``
(``org.remedium.plan.*``), or ``*`` for every event of the tenant."""


def matches(patterns: list[str], event_type: str) -> bool:
    """Whether ``event_type`` passes a subscription's filter."""
    for pattern in patterns:
        if pattern.endswith("*"):
            if event_type.startswith(pattern[:-1]):
                return True
        elif event_type == pattern:
            return True
    return False


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DELETED = "deleted"


# --- commands ---------------------------------------------------------------------------------
class RegisterSubscription(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://grc.example.com/hooks/remedium",
                    "event_types": ["org.remedium.intake.*", "org.remedium.plan.PlanApproved.v1"],
                    "description": "GRC platform: incidents and approved plans",
                }
            ]
        },
    )
    url: HttpUrl = Field(description="http or https endpoint that receives the events")
    event_types: list[EventTypePattern] = Field(
        default_factory=lambda: [EVERYTHING], min_length=1, max_length=50
    )
    description: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None

    @field_validator("url")
    @classmethod
    def _no_credentials_in_url(cls, url: HttpUrl) -> HttpUrl:
        if url.username or url.password:
            raise ValueError("the URL must not carry credentials: requests are signed instead")
        return url


class RequestReplay(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"from_position": 1204}, {"from_time": "2026-11-01T00:00:00Z"}]
        },
    )
    from_position: int | None = Field(
        default=None, ge=1, description="feed position to start at (the Remedium-Feed-Position)"
    )
    from_time: datetime | None = Field(
        default=None, description="replay events that happened at or after this time"
    )

    @model_validator(mode="after")
    def _exactly_one_start(self) -> Self:
        if (self.from_position is None) == (self.from_time is None):
            raise ValueError("give exactly one of from_position and from_time")
        if self.from_time is not None and self.from_time.tzinfo is None:
            raise ValueError("from_time needs a time zone (e.g. 2026-11-01T00:00:00Z)")
        return self


class RedeliverDeadLetters(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{}, {"delivery_ids": ["0b7c4a52-51a4-4f0e-9a53-8f2f0d5f9e01"]}]
        },
    )
    delivery_ids: list[UUID] | None = Field(
        default=None, max_length=1000, description="which dead letters; absent means all of them"
    )


# --- events -----------------------------------------------------------------------------------
class SubscriptionEvent(DomainEvent):
    subscription_id: UUID
    occurred_at: datetime


@registry.register
class SubscriptionRegistered(SubscriptionEvent):
    url: str
    event_types: list[str]
    description: str | None
    secret_ref: str
    """Vault reference of the encrypted signing secret (never the secret)."""


@registry.register
class SubscriptionPaused(SubscriptionEvent):
    pass


@registry.register
class SubscriptionResumed(SubscriptionEvent):
    pass


@registry.register
class SubscriptionDeleted(SubscriptionEvent):
    pass


@registry.register
class ReplayRequested(SubscriptionEvent):
    from_position: int | None
    from_time: datetime | None


@registry.register
class DeadLettersRedelivered(SubscriptionEvent):
    delivery_ids: list[UUID]


# --- the aggregate ----------------------------------------------------------------------------
class SubscriptionState(BaseModel):
    url: str = ""
    event_types: list[str] = []
    description: str | None = None
    secret_ref: str = ""
    status: SubscriptionStatus | None = None
    registered_at: datetime | None = None


class Subscription(Aggregate[SubscriptionState]):
    """Stream id = the subscription id."""

    state_type = SubscriptionState

    def register(self, cmd: RegisterSubscription, ctx: CommandContext, *, secret_ref: str) -> None:
        require(not self.exists, "subscription-exists", "This subscription is registered already.")
        self.record(
            SubscriptionRegistered(
                **self._header(ctx),
                url=str(cmd.url),
                event_types=cmd.event_types,
                description=cmd.description,
                secret_ref=secret_ref,
            )
        )

    def pause(self, ctx: CommandContext) -> None:
        self._require_not_deleted()
        require(
            self.state.status == SubscriptionStatus.ACTIVE,
            "subscription-not-active",
            "Only an active subscription can be paused.",
        )
        self.record(SubscriptionPaused(**self._header(ctx)))

    def resume(self, ctx: CommandContext) -> None:
        self._require_not_deleted()
        require(
            self.state.status == SubscriptionStatus.PAUSED,
            "subscription-not-paused",
            "Only a paused subscription can be resumed.",
        )
        self.record(SubscriptionResumed(**self._header(ctx)))

    def delete(self, ctx: CommandContext) -> None:
        self._require_not_deleted()
        self.record(SubscriptionDeleted(**self._header(ctx)))

    def request_replay(self, cmd: RequestReplay, ctx: CommandContext) -> None:
        self._require_not_deleted()
        self.record(
            ReplayRequested(
                **self._header(ctx), from_position=cmd.from_position, from_time=cmd.from_time
            )
        )

    def redeliver(self, delivery_ids: list[UUID], ctx: CommandContext) -> None:
        self._require_not_deleted()
        require(bool(delivery_ids), "no-dead-letters", "There is no dead letter to redeliver.")
        self.record(DeadLettersRedelivered(**self._header(ctx), delivery_ids=delivery_ids))

    def _require_not_deleted(self) -> None:
        require(
            self.state.status != SubscriptionStatus.DELETED,
            "subscription-deleted",
            "The subscription was deleted.",
        )

    def _header(self, ctx: CommandContext) -> dict[str, object]:
        return {"subscription_id": UUID(self.stream_id), "occurred_at": ctx.now}

    def when_SubscriptionRegistered(self, event: SubscriptionRegistered) -> None:
        self.state.url = event.url
        self.state.event_types = list(event.event_types)
        self.state.description = event.description
        self.state.secret_ref = event.secret_ref
        self.state.status = SubscriptionStatus.ACTIVE
        self.state.registered_at = event.occurred_at

    def when_SubscriptionPaused(self, _: SubscriptionPaused) -> None:
        self.state.status = SubscriptionStatus.PAUSED

    def when_SubscriptionResumed(self, _: SubscriptionResumed) -> None:
        self.state.status = SubscriptionStatus.ACTIVE

    def when_SubscriptionDeleted(self, _: SubscriptionDeleted) -> None:
        self.state.status = SubscriptionStatus.DELETED
