"""A delivery's life (pending, then delivered or dead) and when to try a failed one again:
exponential backoff with full jitter, within a budget of attempts.

Full jitter (a uniform delay between zero and the exponential ceiling) spreads the retries of
many deliveries that failed together, so a subscriber coming back is not hit by all of them at
the same instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    """The subscriber answered 2xx: never sent again (replays are new deliveries)."""
    DEAD = "dead"
    """The retry budget ran out: listed as a dead letter until redelivered."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay_s: float
    max_delay_s: float

    def exhausted(self, attempts: int) -> bool:
        """After ``attempts`` failed attempts, whether the delivery goes to the dead letters."""
        return attempts >= self.max_attempts

    def ceiling(self, attempts: int) -> float:
        """The longest wait after the ``attempts``-th failure: base, 2 base, 4 base, ... capped."""
        exponent = min(attempts - 1, 62)
        return float(min(self.max_delay_s, self.base_delay_s * 2**exponent))

    def delay(self, attempts: int, draw: Callable[[float, float], float] = random.uniform) -> float:
        """The wait before the next attempt, drawn uniformly from [0, ceiling]."""
        return draw(0.0, self.ceiling(attempts))
