"""The feed's domain without I/O: filters, subscription lifecycle, signatures, retry policy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.feed.domain import (
    RegisterSubscription,
    RequestReplay,
    RetryPolicy,
    Subscription,
    SubscriptionStatus,
    matches,
    new_secret,
    sign,
    verify,
)
from shared.domain import Actor, CommandContext
from shared.errors import PreconditionFailed

CTX = CommandContext(Actor("it", "acme", frozenset({"admin"})), datetime(2026, 11, 1, tzinfo=UTC))
VERIFIED = "org.remedium.intake.AllegationVerified.v1"


def registered() -> Subscription:
    subscription = Subscription(str(uuid.uuid4()))
    subscription.register(
        RegisterSubscription(url="https://grc.example.com/hooks"), CTX, secret_ref="ref-1"
    )
    return subscription


def test_filters_take_exact_types_prefixes_and_everything() -> None:
    assert matches(["*"], VERIFIED)
    assert matches(["org.remedium.intake.*"], VERIFIED)
    assert matches([VERIFIED], VERIFIED)
    assert not matches(["org.remedium.plan.*"], VERIFIED)
    assert not matches(["org.remedium.intake.AllegationVerified.v2"], VERIFIED)
    assert matches(["org.remedium.plan.*", VERIFIED], VERIFIED)


def test_registration_accepts_only_http_urls_without_credentials_and_valid_filters() -> None:
    assert RegisterSubscription(url="http://127.0.0.1:9000/x").event_types == ["*"]
    for url in ("ftp://example.com/x", "file:///etc/passwd", "https://user:pw@example.com/x"):
        with pytest.raises(ValidationError):
            RegisterSubscription(url=url)
    for pattern in ("com.other.*", "org.remedium.intake.*.v1", ""):
        with pytest.raises(ValidationError):
            RegisterSubscription(url="https://example.com/x", event_types=[pattern])
    with pytest.raises(ValidationError):
        RegisterSubscription(url="https://example.com/x", event_types=[])


def test_registration_records_only_the_secrets_vault_reference() -> None:
    subscription = registered()
    [event] = subscription.changes
    assert event.name() == "SubscriptionRegistered"
    assert event.model_dump()["secret_ref"] == "ref-1"
    assert "secret" not in event.model_dump()
    assert subscription.state.status == SubscriptionStatus.ACTIVE


def test_pause_resume_delete_and_what_each_refuses() -> None:
    subscription = registered()
    with pytest.raises(PreconditionFailed, match="paused"):
        subscription.resume(CTX)
    subscription.pause(CTX)
    assert subscription.state.status == SubscriptionStatus.PAUSED
    with pytest.raises(PreconditionFailed) as refused:
        subscription.pause(CTX)
    assert refused.value.code == "subscription-not-active"
    subscription.resume(CTX)
    subscription.delete(CTX)
    for command in (
        lambda: subscription.pause(CTX),
        lambda: subscription.delete(CTX),
        lambda: subscription.request_replay(RequestReplay(from_position=1), CTX),
        lambda: subscription.redeliver([uuid.uuid4()], CTX),
    ):
        with pytest.raises(PreconditionFailed) as refused:
            command()
        assert refused.value.code == "subscription-deleted"
    with pytest.raises(PreconditionFailed):
        subscription.register(RegisterSubscription(url="https://x.example"), CTX, secret_ref="r")


def test_redelivery_needs_a_dead_letter() -> None:
    with pytest.raises(PreconditionFailed) as refused:
        registered().redeliver([], CTX)
    assert refused.value.code == "no-dead-letters"


def test_a_replay_starts_at_exactly_one_position_or_zoned_time() -> None:
    assert RequestReplay(from_position=3).from_time is None
    assert RequestReplay(from_time=datetime(2026, 1, 1, tzinfo=UTC)).from_position is None
    for body in ({}, {"from_position": 3, "from_time": "2026-01-01T00:00:00Z"}):
        with pytest.raises(ValidationError):
            RequestReplay.model_validate(body)
    with pytest.raises(ValidationError):
        RequestReplay.model_validate({"from_time": "2026-01-01T00:00:00"})
    with pytest.raises(ValidationError):
        RequestReplay(from_position=0)


def test_signatures_verify_only_the_same_body_secret_and_a_recent_time() -> None:
    secret, body, now = new_secret(), b'{"id":"e-1"}', 1_800_000_000
    header = sign(secret, now, body)
    assert header.startswith(f"t={now},v1=")
    assert verify(secret, header, body, now + 10)
    assert not verify(secret, header, b'{"id":"e-2"}', now)
    assert not verify(new_secret(), header, body, now)
    assert not verify(secret, header, body, now + 301)
    assert not verify(secret, "v1=abc", body, now)
    assert new_secret() != new_secret() and secret.startswith("whsec_")


def test_backoff_grows_exponentially_to_its_cap_with_full_jitter() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay_s=1.0, max_delay_s=10.0)
    assert [policy.ceiling(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert policy.delay(3, draw=lambda low, high: high) == 4.0
    assert policy.delay(3, draw=lambda low, high: low) == 0.0
    assert all(0.0 <= policy.delay(4) <= 8.0 for _ in range(100))
    assert not policy.exhausted(4) and policy.exhausted(5)
    assert policy.ceiling(10_000) == 10.0
