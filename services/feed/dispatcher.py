"""The dispatcher: sends due deliveries to subscribers over HTTP, each lane in order.

Each request is a CloudEvents 1.0 structured-mode message (``application/cloudevents+json``),
signed with the subscription's secret. A 2xx answer marks the delivery delivered, for good;
anything else (or no answer in time) schedules a retry, and past the budget the delivery becomes
a dead letter. The outcome is recorded after the answer, so a crash in between means the request
is sent again: at least once, never lost. Only status codes and error kinds are recorded, never
what a subscriber answered.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from prometheus_client import Counter
from sqlalchemy import Engine

from services.feed.delivery_queue import (
    DueDelivery,
    Lane,
    due_lanes,
    head,
    mark_delivered,
    mark_failed,
)
from services.feed.domain import SIGNATURE_HEADER, DeliveryStatus, RetryPolicy, sign
from shared.database import read_transaction, write_transaction
from shared.envelope import canonical_json
from shared.vault import Vault

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
DELIVERIES = Counter(
    "remedium_feed_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"]
)


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        vault: Vault,
        policy: RetryPolicy,
        *,
        timeout_s: float,
        parallel: int,
        lanes_per_round: int = 200,
        sends_per_lane: int = 100,
    ) -> None:
        self.engine = engine
        self.vault = vault
        self.policy = policy
        self.timeout_s = timeout_s
        self.parallel = parallel
        self.lanes_per_round = lanes_per_round
        self.sends_per_lane = sends_per_lane

    def dispatch_due(self) -> int:
        """One round: drain every due lane (in parallel across lanes); return requests sent."""
        with read_transaction(self.engine) as conn:
            lanes = due_lanes(conn, datetime.now(UTC), self.lanes_per_round)
        if not lanes:
            return 0
        with (
            httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client,
            ThreadPoolExecutor(max_workers=min(self.parallel, len(lanes))) as pool,
        ):
            return sum(pool.map(lambda lane: self._drain(client, lane), lanes))

    def _drain(self, client: httpx.Client, lane: Lane) -> int:
        """Send the lane's heads one after the other until one fails or none is due."""
        sent = 0
        while sent < self.sends_per_lane:
            with read_transaction(self.engine) as conn:
                delivery = head(conn, lane)
                secret = (
                    self.vault.open(conn, tenant=delivery.tenant, ref=delivery.secret_ref)
                    if delivery is not None
                    else None
                )
            if delivery is None or secret is None:
                return sent
            if delivery.next_attempt_at > datetime.now(UTC):
                return sent
            sent += 1
            if not self._send(client, delivery, secret):
                return sent
        return sent

    def _send(self, client: httpx.Client, delivery: DueDelivery, secret: str) -> bool:
        body = canonical_json(delivery.document)
        headers = {
            "Content-Type": CONTENT_TYPE,
            SIGNATURE_HEADER: sign(secret, int(time.time()), body),
            "Remedium-Delivery-Id": delivery.delivery_id,
            "Remedium-Delivery-Attempt": str(delivery.attempts + 1),
            "Remedium-Feed-Position": str(delivery.log_position),
            "Remedium-Replay": "true" if delivery.replay else "false",
            "User-Agent": "Remedium-Feed/1",
        }
        try:
            response = client.post(delivery.url, content=body, headers=headers)
            delivered, outcome = response.is_success, f"HTTP {response.status_code}"
        except httpx.TimeoutException as error:
            delivered, outcome = False, f"timeout: {type(error).__name__}"
        except httpx.HTTPError as error:
            delivered, outcome = False, f"unreachable: {type(error).__name__}"
        now = datetime.now(UTC)
        with write_transaction(self.engine) as conn:
            if delivered:
                mark_delivered(conn, delivery.seq, outcome, now)
                DELIVERIES.labels("delivered").inc()
                return True
            status = mark_failed(conn, delivery.seq, outcome, now, self.policy)
        DELIVERIES.labels("dead" if status is DeliveryStatus.DEAD else "retry").inc()
        if status is DeliveryStatus.DEAD:
            log.warning("delivery %s dead-lettered after %s", delivery.delivery_id, outcome)
        return False
