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
from rich.progress import Progress
from rich.table import Table

from shared.auth import ApiKeys
from shared.broker import LocalBroker
from shared.database import make_engine
from shared.envelope import verify_chain
from shared.eventstore import EventStore
from shared.kafka import broker_reachable
from shared.migrations import AUTH_MIGRATIONS, service_migrations, upgrade
from shared.settings import Settings, get_settings

# Services in start order; each module exposes ``definition`` and ``create_app``.
SERVICES = {
    "intake": "services.intake.app",
    "plan": "services.plan.app",
    "monitoring": "services.monitoring.app",
    "reporting": "services.reporting.app",
    "feed": "services.feed.app",
}

app = typer.Typer(help="Remedium operator commands.", no_args_is_help=True)
console = Console(soft_wrap=True)


def _definition(service: str):  # type: ignore[no-untyped-def]
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    return importlib.import_module(SERVICES[service]).definition


def _store(service: str, settings: Settings) -> EventStore:
    """The service's event store, read directly from its database (for verify and export)."""
    return EventStore(
        make_engine(settings.database_url(service)), _definition(service).registry, service=service
    )


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
        store = _store(service, settings)
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
    from services.reporting.evidence_pack import verify_pack as check_pack

    try:
        checked = check_pack(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as error:
        console.print(f"[red]not a readable evidence pack: {error}[/]")
        raise typer.Exit(2) from error
    for problem in checked.problems:
        console.print(f"[red]{problem}[/]")
    console.print(
        f"{checked.events} events of incident {checked.incident_id} in {checked.streams} streams"
    )
    if checked.problems:
        raise typer.Exit(1)
    console.print("[green]evidence pack intact[/]")


@app.command()
def rebuild(
    service: Annotated[str, typer.Argument(help="the service whose projections to rebuild")],
) -> None:
    """Drop a service's projections and replay them from offset 0, with a progress bar.

    Stop the service first: its own projector would otherwise race the replay."""
    from rich.progress import TaskID

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
def seed(
    gateway: Annotated[str, typer.Option(help="the running gateway")] = "http://127.0.0.1:8080",
) -> None:
    """Walk demo incidents (tenant ``demo``) through every step and state, via the real API."""
    _seed(gateway, get_settings())


@app.command()
def export(
    out: Annotated[Path, typer.Option(help="folder for one <service>.events.jsonl per service")],
    services: Annotated[list[str] | None, typer.Argument()] = None,
) -> None:
    """Export every stored event as CloudEvents JSON lines, with the hash chains, in order.

    The files are a complete audit trail: ``remedium verify-pack`` style checks can be run on
    them offline, and they hold no personal data (that lives in the vault)."""
    settings = get_settings()
    out.mkdir(parents=True, exist_ok=True)
    for service in _services(services):
        store = _store(service, settings)
        path = out / f"{service}.events.jsonl"
        with path.open("w") as file, Progress(console=console) as progress:
            task = progress.add_task(f"{service}", total=None)
            count, position = 0, 0
            while batch := store.read_all(after_position=position, limit=1000):
                for _, envelope in batch:
                    file.write(json.dumps(envelope.to_structured(), sort_keys=True) + "\n")
                position = batch[-1][0]
                count += len(batch)
                progress.update(task, completed=count)
        console.print(f"{service}: {count} events -> {path}")


@app.command()
def lag() -> None:
    """Per projection: events on the broker not yet applied to its read model."""
    from shared.app import build_runtime

    settings = get_settings().model_copy(update={"relay_enabled": False})
    table = Table("service", "projection", "partition", "lag")
    for service in SERVICES:
        runtime = build_runtime(_definition(service), settings, migrate=False)
        for projector in runtime.projectors:
            for partition, behind in sorted(projector.lag().items()):
                table.add_row(service, projector.projection.name, partition, str(behind))
        runtime.engine.dispose()
    console.print(table)


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
    gateway_port: Annotated[int, typer.Option(help="the one address in front of all")] = 8080,
    broker_port: Annotated[int, typer.Option(help="local broker port")] = 9092,
    seed: Annotated[bool, typer.Option(help="walk demo incidents through every step")] = False,
) -> None:
    """Start the local broker (unless one answers already), every service and the gateway;
    Ctrl-C stops all."""
    _stop_on_signals()
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    bootstrap = os.environ.get("REMEDIUM_KAFKA_BOOTSTRAP", f"127.0.0.1:{broker_port}")
    broker: LocalBroker | None = None
    if not broker_reachable(bootstrap):
        broker = LocalBroker(port=broker_port, log_path=settings.data_dir / "broker.log").start()
        bootstrap = broker.bootstrap
        console.print(f"broker (Tansu, in memory) on [bold]{bootstrap}[/]")
    upstreams = {name: f"http://127.0.0.1:{port + i}" for i, name in enumerate(SERVICES)}
    env = {
        **os.environ,
        "REMEDIUM_KAFKA_BOOTSTRAP": bootstrap,
        "REMEDIUM_GATEWAY_UPSTREAMS": json.dumps(upstreams),
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        migrate(None)  # once, before the services start side by side
        for offset, service in enumerate(SERVICES):
            processes.append(_start_app(f"{SERVICES[service]}:create_app", port + offset, env))
        processes.append(_start_app("shared.gateway:create_gateway", gateway_port, env))
        gateway = f"http://127.0.0.1:{gateway_port}"
        _wait_until_ready(gateway, processes)
        _print_addresses(gateway, upstreams)
        if seed:
            _seed(gateway, settings)
        console.print(
            "Ctrl-C stops everything; data stays in", str(Path(settings.data_dir).resolve())
        )
        _wait_for_any_exit(processes)
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()  # SIGTERM: uvicorn shuts down gracefully, quietly
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if broker is not None:
            broker.stop()


def _print_addresses(gateway: str, upstreams: dict[str, str]) -> None:
    console.print(f"[bold green]Remedium is up at {gateway}[/]  (services and docs: {gateway}/)")
    for name in upstreams:
        console.print(f"  {name:<11} {gateway}/{name}/v1   docs: {gateway}/{name}/docs")
    if "reporting" in upstreams:
        console.print(f"  dashboard   {gateway}/dashboard")
    console.print(
        "create a key: [bold].venv/bin/remedium create-key --tenant acme "
        "--roles case_manager,verifier[/]"
    )


def _wait_until_ready(
    gateway: str, processes: list[subprocess.Popen[bytes]], timeout_s: float = 60
) -> None:
    """Wait until every service answers through the gateway (the broker may still be joining)."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise typer.Exit(1)
        try:
            states = httpx.get(f"{gateway}/readyz", timeout=5).json().get("services", {})
            if states and not any(s.startswith("unreachable") for s in states.values()):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.3)
    console.print("[yellow]some services are not answering yet[/]")


def _seed(gateway: str, settings: Settings) -> None:
    from shared.demo import DemoError, seed_demo

    with Progress(console=console) as progress:
        task = progress.add_task("demo incidents", total=None)
        try:
            seeded = seed_demo(
                gateway,
                settings,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        except DemoError as error:
            console.print(f"[red]demo data stopped:[/] {error}")
            return
    console.print(f"seeded {len(seeded)} demo incidents for tenant [bold]demo[/]")


def _stop_on_signals() -> None:
    """Ctrl-C or SIGTERM stop everything, also when started without a terminal (where SIGINT
    may arrive ignored)."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _start_app(factory: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    # A session of its own: Ctrl-C in the terminal reaches only this command, which then stops
    # each service once (a second signal would make uvicorn skip its graceful shutdown).
    return subprocess.Popen(command, env=env, start_new_session=True)


def _wait_for_any_exit(processes: list[subprocess.Popen[bytes]]) -> None:
    while all(process.poll() is None for process in processes):
        time.sleep(0.5)
    raise typer.Exit(1)


if __name__ == "__main__":
    app()
