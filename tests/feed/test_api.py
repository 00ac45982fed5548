"""The feed through its real HTTP API, fed by intake's and plan's events over the real broker,
delivering to real receivers on 127.0.0.1 that fail on purpose for a while."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.feed.app import create_app as create_feed
from tests.feed.conftest import MAX_ATTEMPTS
from tests.feed.receiver import Received, Receiver
from tests.intake.walkthrough import REPORTER_NAME, ok, submit, to_triaged
from tests.plan.walkthrough import VICTIM_NAME, determined_incident, register_child
from tests.support.system import System, eventually

Receivers = Callable[..., Receiver]


def subscribe(system: System, receiver: Receiver, who: str = "admin", **body: Any) -> dict:
    return ok(
        system.client("feed", who).post(
            "/v1/feed/subscriptions", json={"url": receiver.url, **body}
        ),
        201,
    )


def stored_events(system: System, *incidents: str, plan: tuple[str, ...] = ()) -> list[dict]:
    """What intake (and plan, for the ``plan`` incidents) stored: what must be delivered."""
    intake = system.client("intake", "auditor")
    found = [e for i in incidents for e in ok(intake.get(f"/v1/incidents/{i}/events"))]
    planner = system.client("plan", "auditor")
    return found + [e for i in plan for e in ok(planner.get(f"/v1/incidents/{i}/plan/events"))]


def all_accepted(receiver: Receiver, expected: list[dict], timeout_s: float = 60) -> None:
    wanted = {e["id"] for e in expected}
    eventually(lambda: wanted <= set(receiver.accepted_ids()), timeout_s=timeout_s)


def in_stream_order(requests: list[Received]) -> bool:
    """Each service's stream of each incident arrives version after version."""
    versions: dict[tuple[str, str], list[int]] = defaultdict(list)
    for request in requests:
        event = request.event
        versions[(event["subject"], event["source"])].append(event["streamversion"])
    return all(v == list(range(v[0], v[0] + len(v))) for v in versions.values())


def lanes_in_feed_order(requests: list[Received]) -> bool:
    """Per incident, every request (failed ones too) is for the head: positions never go back."""
    positions: dict[str, list[int]] = defaultdict(list)
    for request in requests:
        positions[request.event["subject"]].append(request.position)
    return all(p == sorted(p) for p in positions.values())


def code(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return str(response.json()["type"]).rsplit(":", 1)[-1]


def test_every_event_arrives_signed_in_order_and_once_despite_failures(
    receivers: Receivers, system: System
) -> None:
    flaky = receivers(failures=3)
    created = subscribe(system, flaky)
    assert created["secret"].startswith("whsec_") and created["status"] == "active"
    plan_only = receivers()
    plan_secret = subscribe(system, plan_only, event_types=["org.remedium.plan.*"])["secret"]

    with_victim = determined_incident(system)
    register_child(system.client("plan"), with_victim)
    cm = system.client("intake")
    triaged = submit(cm)
    to_triaged(cm, triaged)
    expected = stored_events(system, with_victim, triaged, plan=(with_victim,))
    all_accepted(flaky, expected)

    accepted = flaky.accepted()
    assert sorted(r.event["id"] for r in accepted) == sorted(e["id"] for e in expected)
    assert sum(not r.accepted for r in flaky.seen()) == 3
    assert in_stream_order(accepted)
    assert lanes_in_feed_order(flaky.seen())
    now = int(time.time())
    assert all(r.signed_with(created["secret"], now) for r in flaky.seen())
    assert not any(r.signed_with(plan_secret, now) for r in flaky.seen())
    first = accepted[0]
    assert first.headers["content-type"].startswith("application/cloudevents+json")
    assert first.event["specversion"] == "1.0" and first.event["tenant"] == system.tenant
    assert {"id", "source", "type", "subject", "time", "data"} <= set(first.event)
    bodies = b"".join(r.body for r in flaky.seen() + plan_only.seen())
    for name in (VICTIM_NAME, REPORTER_NAME, *VICTIM_NAME.split(), *REPORTER_NAME.split()):
        assert name.encode() not in bodies

    plan_events = [e for e in expected if e["source"] == "/remedium/plan"]
    all_accepted(plan_only, plan_events)
    assert sorted(plan_only.accepted_ids()) == sorted(e["id"] for e in plan_events)
    assert all(r.signed_with(plan_secret, now) for r in plan_only.seen())

    retried = ok(
        system.client("feed", "auditor").get(
            f"/v1/feed/subscriptions/{created['subscription_id']}/deliveries",
            params={"status": "delivered"},
        )
    )["items"]
    assert len(retried) == len(expected)
    assert sum(d["attempts"] for d in retried) == len(expected) + 3
    assert {d["last_outcome"] for d in retried} == {"HTTP 200"}


def test_a_restart_neither_loses_nor_resends_acknowledged_deliveries(
    receivers: Receivers, system: System
) -> None:
    receiver = receivers()
    subscribe(system, receiver)
    cm = system.client("intake")
    incident = submit(cm)
    all_accepted(receiver, stored_events(system, incident))

    system.services["feed"].stop()
    to_triaged(cm, incident)  # while the feed is down
    later = submit(cm)
    system.start("feed", create_feed)

    expected = stored_events(system, incident, later)
    all_accepted(receiver, expected)
    counts = Counter(receiver.accepted_ids())
    assert set(counts) == {e["id"] for e in expected}
    assert max(counts.values()) == 1
    assert in_stream_order(receiver.accepted())


def test_dead_letters_after_the_budget_then_redelivery_through_the_api(
    receivers: Receivers, system: System
) -> None:
    down = receivers(failures=10**6)
    subscription = subscribe(system, down)["subscription_id"]
    base = f"/v1/feed/subscriptions/{subscription}"
    admin, auditor = system.client("feed", "admin"), system.client("feed", "auditor")
    assert code(admin.post(f"{base}/dead-letters/redelivery", json={})) == "no-dead-letters"
    incident = submit(system.client("intake"))
    expected = stored_events(system, incident)

    def all_dead() -> list[dict] | None:
        items = ok(auditor.get(f"{base}/dead-letters"))["items"]
        return items if len(items) == len(expected) else None

    dead = eventually(all_dead, timeout_s=60)
    assert {d["event"]["id"] for d in dead} == {e["id"] for e in expected}
    assert all(d["attempts"] == MAX_ATTEMPTS and d["status"] == "dead" for d in dead)
    assert {d["last_outcome"] for d in dead} == {"HTTP 500"}
    assert len(down.seen()) == MAX_ATTEMPTS * len(expected)
    assert lanes_in_feed_order(down.seen())

    down.recover()
    one = dead[0]["delivery_id"]
    again = ok(admin.post(f"{base}/dead-letters/redelivery", json={"delivery_ids": [one]}), 202)
    assert again["redelivered"] == 1 and again["events"] == ["DeadLettersRedelivered"]
    eventually(lambda: [r.headers["remedium-delivery-id"] for r in down.accepted()] == [one])
    rest = ok(admin.post(f"{base}/dead-letters/redelivery", json={}), 202)
    assert rest["redelivered"] == len(expected) - 1
    all_accepted(down, expected)
    assert ok(auditor.get(f"{base}/dead-letters"))["items"] == []
    assert Counter(down.accepted_ids()).most_common(1)[0][1] == 1


def test_replay_from_a_position_and_from_a_time(receivers: Receivers, system: System) -> None:
    receiver = receivers()
    subscription = subscribe(system, receiver)["subscription_id"]
    cm = system.client("intake")
    incident = submit(cm)
    to_triaged(cm, incident)
    expected = stored_events(system, incident)
    all_accepted(receiver, expected)
    originals = sorted(receiver.accepted(), key=lambda r: r.position)
    admin = system.client("feed", "admin")
    replay = f"/v1/feed/subscriptions/{subscription}/replay"

    start = originals[2].position
    answer = ok(admin.post(replay, json={"from_position": start}), 202)
    assert answer["enqueued"] == len(originals) - 2 and answer["events"] == ["ReplayRequested"]
    eventually(lambda: len(receiver.accepted(replays=True)) == len(originals) - 2)
    replays = receiver.accepted(replays=True)
    assert [r.event["id"] for r in replays] == [r.event["id"] for r in originals[2:]]
    assert not {r.headers["remedium-delivery-id"] for r in replays} & {
        r.headers["remedium-delivery-id"] for r in originals
    }

    since = originals[-1].event["time"]
    same_time = [r.event["id"] for r in originals if r.event["time"] >= since]
    answer = ok(admin.post(replay, json={"from_time": since}), 202)
    assert answer["enqueued"] == len(same_time)
    eventually(lambda: len(receiver.accepted(replays=True)) == len(originals) - 2 + len(same_time))
    assert [r.event["id"] for r in receiver.accepted(replays=True)][-len(same_time) :] == same_time
    assert code(admin.post(replay, json={})) == "invalid-request"
    assert code(admin.post(replay, json={"from_position": 1, "from_time": since})) == (
        "invalid-request"
    )


def test_tenants_roles_secrets_pause_and_delete(
    receivers: Receivers, system: System, tmp_path: Path
) -> None:
    mine, theirs = receivers(), receivers()
    feed = system.client("feed", "admin")
    assert (
        system.client("feed", "case_manager")
        .post("/v1/feed/subscriptions", json={"url": mine.url})
        .status_code
        == 403
    )
    assert system.services["feed"].client().get("/v1/feed/subscriptions").status_code == 401
    for url in ("ftp://127.0.0.1/x", "https://me:pw@example.com/x", "not a url"):
        assert code(feed.post("/v1/feed/subscriptions", json={"url": url})) == "invalid-request"
    created = subscribe(system, mine)
    subscription, secret = created["subscription_id"], created["secret"]
    base = f"/v1/feed/subscriptions/{subscription}"
    shown = ok(feed.get(base))
    assert shown["url"] == mine.url and "secret" not in shown and secret not in str(shown)
    for data_file in tmp_path.glob("feed.db*"):
        assert secret.encode() not in data_file.read_bytes()

    other = system.client("feed", "other_admin")
    assert code(other.get(base)) == "not-found"
    assert code(other.post(f"{base}/pause")) == "not-found"
    assert code(other.post(f"{base}/replay", json={"from_position": 1})) == "not-found"
    assert ok(other.get("/v1/feed/subscriptions")) == []
    subscribe(system, theirs, who="other_admin")
    foreign = submit(system.services["intake"].client(system.keys["other_cm"]))
    all_accepted(theirs, stored_events_as(system, "other_cm", foreign))
    assert {r.event["tenant"] for r in theirs.seen()} != {system.tenant}

    paused = ok(feed.post(f"{base}/pause"))
    assert paused["status"] == "paused" and paused["events"] == ["SubscriptionPaused"]
    incident = submit(system.client("intake"))
    eventually(
        lambda: (
            len(ok(feed.get(f"{base}/deliveries", params={"status": "pending"}))["items"])
            == len(stored_events(system, incident))
        )
    )
    assert mine.seen() == []
    assert ok(feed.post(f"{base}/resume"))["status"] == "active"
    all_accepted(mine, stored_events(system, incident))
    assert {r.event["tenant"] for r in mine.seen()} == {system.tenant}
    assert foreign not in {r.event["subject"] for r in mine.seen()}

    assert ok(feed.delete(base))["status"] == "deleted"
    assert ok(feed.get(base))["status"] == "deleted"
    assert code(feed.post(f"{base}/resume")) == "subscription-deleted"
    assert code(feed.get("/v1/feed/subscriptions/not-a-uuid")) == "invalid-request"


def stored_events_as(system: System, who: str, incident: str) -> list[dict]:
    client = system.services["intake"].client(system.keys[who])
    return list(ok(client.get(f"/v1/incidents/{incident}/events")))
