"""kill -9 of intake, reporting and the broker while a client sends commands: nothing the
client was told is done gets lost or done twice. ``pytest -m chaos`` runs the bigger scenario.

Each run prints its seed; ``REMEDIUM_CHAOS_SEED=<seed>`` replays the same kill schedule."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.reliability.crash import ChaosPlan, Counts, run_chaos


def seed() -> int:
    return int(os.environ.get("REMEDIUM_CHAOS_SEED") or random.randrange(1 << 30))


def assert_store_and_topic_exact(counts: Counts, plan: ChaosPlan) -> None:
    assert counts.acknowledged == 2 * plan.incidents
    assert counts.stored == counts.acknowledged, counts.line()
    assert counts.duplicates == 0, counts.line()
    assert counts.lost == 0, counts.line()


def expect_projection_complete(counts: Counts, plan: ChaosPlan) -> None:
    """Everything stored is projected once, also after the in-memory broker lost its data: the
    relays publish their whole store again and the projections skip what they have."""
    assert counts.lost_in_projection == 0 and counts.lost_with_broker == 0, counts.line()
    assert counts.projected == counts.published and counts.registered == plan.incidents


@pytest.mark.timeout(240)
def test_killed_services_lose_nothing_acknowledged_and_project_it_once(tmp_path: Path) -> None:
    plan = ChaosPlan(seed=seed(), incidents=100, kills=2, targets=("intake", "reporting"))
    counts = run_chaos(tmp_path, plan)
    assert_store_and_topic_exact(counts, plan)
    expect_projection_complete(counts, plan)


@pytest.mark.timeout(240)
def test_a_killed_broker_loses_nothing_the_store_acknowledged(tmp_path: Path) -> None:
    plan = ChaosPlan(seed=seed(), incidents=100, kills=2, targets=("intake", "broker"))
    counts = run_chaos(tmp_path, plan)
    assert_store_and_topic_exact(counts, plan)
    expect_projection_complete(counts, plan)


@pytest.mark.chaos
@pytest.mark.skipif(not os.environ.get("REMEDIUM_CHAOS"), reason="`make chaos` runs it")
@pytest.mark.timeout(900)
def test_chaos_thousands_of_commands_and_many_kills(tmp_path: Path) -> None:
    plan = ChaosPlan(seed=seed(), incidents=1500, kills=12, pause_s=(2.0, 8.0), deadline_s=600)
    counts = run_chaos(tmp_path, plan)
    assert_store_and_topic_exact(counts, plan)
    expect_projection_complete(counts, plan)
