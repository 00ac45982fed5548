"""Fixtures shared by every test: the real broker (Tansu) and test databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.broker import LocalBroker, free_port
from tests.support.databases import BACKENDS, POSTGRES_URL, database_url


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A Tansu broker on a free port, started once per session and stopped by its PID."""
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    running = LocalBroker(port=free_port(), log_path=log).start()
    yield running
    running.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path, "store") as url:
        yield url
