"""The event feed's domain: webhook subscriptions, request signing and the retry policy."""

from .delivery import DeliveryStatus, RetryPolicy
from .signature import SIGNATURE_HEADER, new_secret, sign, verify
from .subscription import (
    EVERYTHING,
    DeadLettersRedelivered,
    RedeliverDeadLetters,
    RegisterSubscription,
    ReplayRequested,
    RequestReplay,
    Subscription,
    SubscriptionDeleted,
    SubscriptionPaused,
    SubscriptionRegistered,
    SubscriptionResumed,
    SubscriptionState,
    SubscriptionStatus,
    matches,
    registry,
)

__all__ = [
    "EVERYTHING",
    "SIGNATURE_HEADER",
    "DeadLettersRedelivered",
    "DeliveryStatus",
    "RedeliverDeadLetters",
    "RegisterSubscription",
    "ReplayRequested",
    "RequestReplay",
    "RetryPolicy",
    "Subscription",
    "SubscriptionDeleted",
    "SubscriptionPaused",
    "SubscriptionRegistered",
    "SubscriptionResumed",
    "SubscriptionState",
    "SubscriptionStatus",
    "matches",
    "new_secret",
    "registry",
    "sign",
    "verify",
]
