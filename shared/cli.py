"""``remedium``: the operator's command line (run, migrate, keys, chain verification, outbox)."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shared.auth import ApiKeys
from shared.broker import LocalBroker
from shared.database import make_engine
from shared.envelope import EventEnvelope, verify_chain
from shared.eventstore import EventStore
from shared.kafka import broker_reachable
from shared.migrations import AUTH_MIGRATIONS, service_migrations, upgrade
from shared.settings import get_settings

# Services in start order; each module exposes ``definition`` and ``create_app``.
SERVICES = {
    "intake": "services.intake.app",
    "plan": "services.plan.app",
    "monitoring": "services.monitoring.app",
    "reporting": "services.reporting.app",
}

app = typer.Typer(help="Remedium operator commands.", no_args_is_help=True)
console = Console()


def _definition(service: str):  # type: ignore[no-untyped-def]
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    return importlib.import_module(SERVICES[service]).definition


def _services(names: list[str] | None) -> list[str]:
    return names or list(SERVICES)


@app.command()
def migrate(services: Annotated[list[str] | None, typer.Argument()] = None) -> None:
    """Apply the Alembic migrations of the auth database and of each service's database."""
    settings = get_settings()
    upgrade(AUTH_MIGRATIONS, settings.auth_url())
    for service in _services(services):
        _definition(service)
        upgrade(service_migrations(service), settings.database_url(service))
        console.print(f"[green]migrated[/] {service}")


@app.command("create-key")
def create_key(
    tenant: Annotated[str, typer.Option(help="the company the key acts for")],
    roles: Annotated[str, typer.Option(help="comma-separated roles, e.g. case_manager,verifier")],
    subject: Annotated[str, typer.Option(help="who or what uses the key")] = "operator",
) -> None:
    """Create an API key; it is printed once and only its hash is kept."""
    settings = get_settings()
    upgrade(AUTH_MIGRATIONS, settings.auth_url())
    key = ApiKeys(make_engine(settings.auth_url())).create(
        tenant=tenant, subject=subject, roles=[r.strip() for r in roles.split(",") if r.strip()]
    )
    typer.echo(key)


@app.command()
def verify(services: Annotated[list[str] | None, typer.Argument()] = None) -> None:
    """Verify every stream's SHA-256 hash chain; exit 1 naming each broken stream and version."""
    settings = get_settings()
    broken = 0
    for service in _services(services):
        store = EventStore(
            make_engine(settings.database_url(service)),
            _definition(service).registry,
            service=service,
        )
        streams = store.stream_ids()
        for stream in streams:
            for problem in verify_chain(store.read_stream(stream)):
                broken += 1
                console.print(f"[red]{service}[/]: {problem}")
        console.print(f"{service}: {len(streams)} streams checked")
    if broken:
        raise typer.Exit(1)
    console.print("[green]all hash chains intact[/]")


@app.command("verify-pack")
def verify_pack(
    path: Annotated[Path, typer.Argument(help="an evidence pack (JSON) to check")],
) -> None:
    """Verify an evidence pack offline: every service's hash chain of the incident must hold.

    Needs nothing but this command and the file: no database, broker or network."""
    document = json.loads(path.read_text())
    envelopes = [EventEnvelope.from_structured(event) for event in document["events"]]
    by_source: dict[str, list[EventEnvelope]] = {}
    for envelope in envelopes:
        by_source.setdefault(envelope.source, []).append(envelope)
    problems = [
        f"{source}: {problem}"
        for source, items in sorted(by_source.items())
        for problem in verify_chain(sorted(items, key=lambda e: e.streamversion))
    ]
    for problem in problems:
        console.print(f"[red]{problem}[/]")
    console.print(
        f"{len(envelopes)} events of incident {document['incident_id']} in "
        f"{len(by_source)} services"
    )
    if problems:
        raise typer.Exit(1)
    console.print("[green]evidence pack intact[/]")


@app.command()
def rebuild(
    service: Annotated[str, typer.Argument(help="the service whose projections to rebuild")],
) -> None:
    """Drop a service's projections and replay them from offset 0, with a progress bar.

    Stop the service first: its own projector would otherwise race the replay."""
    from rich.progress import Progress, TaskID

    from shared.app import build_runtime

    settings = get_settings().model_copy(update={"relay_enabled": False})
    runtime = build_runtime(_definition(service), settings)
    for projector in runtime.projectors:
        with Progress(console=console) as progress:
            task = progress.add_task(f"{service}: {projector.projection.name}", total=None)

            def advance(done: int, total: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=total)

            applied = projector.rebuild(advance)
        console.print(f"{projector.projection.name}: {applied} events applied")


@app.command()
def outbox() -> None:
    """Events waiting for publication, per service."""
    from sqlalchemy import func, select

    from shared.tables import outbox as outbox_table

    settings = get_settings()
    table = Table("service", "pending events")
    for service in SERVICES:
        engine = make_engine(settings.database_url(service))
        with engine.connect() as conn:
            table.add_row(
                service,
                str(conn.execute(select(func.count()).select_from(outbox_table)).scalar_one()),
            )
    console.print(table)


@app.command()
def run(
    port: Annotated[int, typer.Option(help="first service port; the others follow")] = 8000,
    broker_port: Annotated[int, typer.Option(help="local broker port")] = 9092,
) -> None:
    """Start the local broker (unless one answers already) and every service; Ctrl-C stops all."""
    _stop_on_signals()
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    bootstrap = os.environ.get("REMEDIUM_KAFKA_BOOTSTRAP", f"127.0.0.1:{broker_port}")
    broker: LocalBroker | None = None
    if not broker_reachable(bootstrap):
        broker = LocalBroker(port=broker_port, log_path=settings.data_dir / "broker.log").start()
        bootstrap = broker.bootstrap
        console.print(f"broker (Tansu, in memory) on [bold]{bootstrap}[/]")
    env = {**os.environ, "REMEDIUM_KAFKA_BOOTSTRAP": bootstrap}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for offset, service in enumerate(SERVICES):
            service_port = port + offset
            processes.append(_start_service(service, service_port, env))
            console.print(
                f"{service}: http://127.0.0.1:{service_port}  (docs: http://127.0.0.1:{service_port}/docs)"
            )
        console.print(
            "create a key: [bold].venv/bin/remedium create-key --tenant acme --roles admin[/]"
        )
        console.print(
            "Ctrl-C stops everything; data stays in", str(Path(settings.data_dir).resolve())
        )
        _wait_for_any_exit(processes)
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if broker is not None:
            broker.stop()


def _stop_on_signals() -> None:
    """Ctrl-C or SIGTERM stop everything, also when started without a terminal (where SIGINT
    may arrive ignored)."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _start_service(service: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        f"{SERVICES[service]}:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, env=env)


def _wait_for_any_exit(processes: list[subprocess.Popen[bytes]]) -> None:
    while all(process.poll() is None for process in processes):
        time.sleep(0.5)
    raise typer.Exit(1)


if __name__ == "__main__":
    app()
