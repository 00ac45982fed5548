"""deploy/ is checked by parsing (Docker and Kubernetes do not run here): the Compose file, the
Dockerfile and the Kubernetes manifests must hang together, and every environment variable they
set must be one the services actually read — a misspelt setting fails here instead of being
silently ignored in production."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.cli import SERVICES
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = DEPLOY / ".env.example"
INIT_SQL = DEPLOY / "postgres" / "init.sql"

# The four services of the design and their ports (some may still be on their way into services/).
PLANNED = {"intake": 8000, "plan": 8001, "monitoring": 8002, "reporting": 8003, "feed": 8004}
GATEWAY_APP = "shared.gateway:create_gateway"
NAMESPACE = "remedium"
APP_MODULE = re.compile(r"^services\.([a-z_]+)\.app:create_app$")

# Third-party containers of compose.yaml and the variables their images read (a typo fails too).
INFRA_VARIABLES = {
    "kafka": {
        "CLUSTER_ID",
        "KAFKA_NODE_ID",
        "KAFKA_PROCESS_ROLES",
        "KAFKA_LISTENERS",
        "KAFKA_ADVERTISED_LISTENERS",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
        "KAFKA_CONTROLLER_LISTENER_NAMES",
        "KAFKA_INTER_BROKER_LISTENER_NAME",
        "KAFKA_CONTROLLER_QUORUM_VOTERS",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE",
        "KAFKA_LOG_DIRS",
    },
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"},
}
INFRA_IMAGES = {"kafka": "apache/kafka:", "postgres": "postgres:16"}


# --- loading ----------------------------------------------------------------------------------


def load_all(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def yaml_files() -> list[Path]:
    return sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


def compose() -> dict[str, Any]:
    (document,) = load_all(COMPOSE)
    assert isinstance(document, dict)
    return document


def compose_services() -> dict[str, dict[str, Any]]:
    services = compose()["services"]
    assert isinstance(services, dict)
    return services


def is_remedium_container(spec: dict[str, Any]) -> bool:
    """Built from deploy/Dockerfile (everything else must be a known third-party image)."""
    build = spec.get("build")
    return isinstance(build, dict) and build.get("dockerfile") == "deploy/Dockerfile"


def app_service(command: Iterable[str]) -> str | None:
    """``services.<name>.app:create_app`` in a uvicorn command -> ``<name>``."""
    for part in command:
        match = APP_MODULE.match(str(part))
        if match:
            return match.group(1)
    return None


def known_service(name: str) -> bool:
    return (ROOT / "services" / name).is_dir() or name in PLANNED


def compose_apps() -> dict[str, dict[str, Any]]:
    """Compose services that run a Remedium service under uvicorn, by service name."""
    apps = {}
    for name, spec in compose_services().items():
        if is_remedium_container(spec) and app_service(spec.get("command", [])):
            apps[name] = spec
    return apps


def env_file_keys(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip()
    return values


def compose_environment(spec: dict[str, Any]) -> dict[str, str]:
    """``environment`` (mapping or list form) plus the keys of any ``env_file``."""
    env: dict[str, str] = {}
    raw = spec.get("environment") or {}
    if isinstance(raw, list):
        for item in raw:
            key, _, value = str(item).partition("=")
            env[key] = value
    else:
        env.update({str(key): str(value) for key, value in raw.items()})
    env_files = spec.get("env_file") or []
    for entry in [env_files] if isinstance(env_files, str | dict) else env_files:
        path = entry if isinstance(entry, str) else entry["path"]
        env.update(env_file_keys(DEPLOY / path))
    return env


def k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    documents: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        documents.extend((path, document) for document in load_all(path))
    return documents


def k8s_objects(kind: str) -> list[dict[str, Any]]:
    return [document for _, document in k8s_documents() if document.get("kind") == kind]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def configmaps() -> dict[str, dict[str, str]]:
    return {cm["metadata"]["name"]: dict(cm.get("data") or {}) for cm in k8s_objects("ConfigMap")}


def secrets() -> dict[str, dict[str, str]]:
    result = {}
    for secret in k8s_objects("Secret"):
        values = {**(secret.get("data") or {}), **(secret.get("stringData") or {})}
        result[secret["metadata"]["name"]] = {str(k): str(v) for k, v in values.items()}
    return result


def container_environment(container: dict[str, Any]) -> dict[str, str]:
    """What the container's process sees: envFrom ConfigMaps and Secrets, then ``env``."""
    maps, secret_values = configmaps(), secrets()
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in maps, f"envFrom names an unknown ConfigMap {name!r}"
            env.update(maps[name])
        if "secretRef" in source:
            name = source["secretRef"]["name"]
            assert name in secret_values, f"envFrom names an unknown Secret {name!r}"
            env.update(secret_values[name])
    for item in container.get("env", []):
        env[item["name"]] = str(item.get("value", "<from valueFrom>"))
    return env


# --- what the services read -------------------------------------------------------------------


def settings_variables() -> set[str]:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else None
        names.add((alias or f"{prefix}{field_name}").upper())
    return names


def readable_variables() -> set[str]:
    """Every variable a service reads: the ``REMEDIUM_`` settings and ``<SERVICE>_DATABASE_URL``
    for each service of ``shared.cli.SERVICES`` and each service compose.yaml runs."""
    services = set(SERVICES) | {
        name for name in map(app_service_of, compose_apps().values()) if known_service(name)
    }
    return settings_variables() | {f"{service.upper()}_DATABASE_URL" for service in services}


def app_service_of(spec: dict[str, Any]) -> str:
    name = app_service(spec.get("command", []))
    assert name is not None
    return name


def unknown_variables(names: Iterable[str]) -> list[str]:
    readable = readable_variables()
    return sorted(name for name in names if name not in readable)


def deployed_services() -> set[str]:
    return set(PLANNED) | set(SERVICES)


# --- every file parses --------------------------------------------------------------------------


def test_every_yaml_file_parses() -> None:
    files = yaml_files()
    assert COMPOSE in files and len(files) >= 4
    for path in files:
        documents = load_all(path)
        assert documents, f"{path.relative_to(ROOT)} is empty"
        assert all(isinstance(doc, dict) for doc in documents), path


# --- Compose ------------------------------------------------------------------------------------


def test_compose_has_kafka_postgres_migrate_and_every_service() -> None:
    services = compose_services()
    assert {"kafka", "postgres", "migrate"} <= set(services)
    for name, spec in services.items():
        if not is_remedium_container(spec):
            assert name in INFRA_IMAGES, f"{name}: neither built from deploy/Dockerfile nor known"
            assert str(spec["image"]).startswith(INFRA_IMAGES[name]), spec["image"]
    runs = {app_service_of(spec) for spec in compose_apps().values()}
    assert deployed_services() <= runs, (
        f"services missing from compose: {deployed_services() - runs}"
    )
    for name in runs:
        assert known_service(name), f"compose runs {name!r}, which is no service"


def test_compose_kafka_runs_in_kraft_mode_with_listeners() -> None:
    kafka = compose_services()["kafka"]
    env = compose_environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    assert set(listeners) == {"PLAINTEXT", "CONTROLLER"}
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(protocols) == set(listeners)
    assert "healthcheck" in kafka
    for name, spec in compose_apps().items():
        assert compose_environment(spec)["REMEDIUM_KAFKA_BOOTSTRAP"] == "kafka:9092", name


def test_compose_postgres_creates_one_database_per_service() -> None:
    postgres = compose_services()["postgres"]
    assert "./postgres/init.sql:/docker-entrypoint-initdb.d/init.sql:ro" in postgres["volumes"]
    assert INIT_SQL.is_file()
    created = set(re.findall(r"^CREATE DATABASE (\w+);", INIT_SQL.read_text(), re.MULTILINE))
    assert created == set(PLANNED) | {"auth"}
    assert set(SERVICES) <= created
    for name, spec in compose_services().items():
        for key, value in compose_environment(spec).items():
            if key.endswith("DATABASE_URL"):
                assert value.startswith("postgresql://"), (name, key)
                database = value.rsplit("/", 1)[1].split("?")[0]
                assert database in created, (name, key, database)


def test_compose_healthchecks_and_depends_on_conditions() -> None:
    services = compose_services()
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, spec in services.items():
        if name != "migrate":
            assert spec.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        depends_on = spec.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for dependency, rule in depends_on.items():
            assert dependency in services, (name, dependency)
            assert rule["condition"] in conditions, (name, dependency)
            if dependency in ("kafka", "postgres"):
                assert rule["condition"] == "service_healthy", (name, dependency)
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, spec in compose_apps().items():
        assert spec["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "postgres": {"condition": "service_healthy"},
            "kafka": {"condition": "service_healthy"},
        }, name


def test_compose_services_run_uvicorn_factories_with_healthz_on_their_port() -> None:
    ports_seen = set()
    for name, spec in compose_apps().items():
        service = app_service_of(spec)
        assert service == name, "the compose service is named after the service it runs"
        port = PLANNED.get(service)
        command = [str(part) for part in spec["command"]]
        assert command[:3] == ["uvicorn", f"services.{service}.app:create_app", "--factory"]
        assert command[command.index("--host") + 1] == "0.0.0.0"
        command_port = int(command[command.index("--port") + 1])
        assert port is None or command_port == port, (name, command_port)
        assert command_port not in ports_seen
        ports_seen.add(command_port)
        health = " ".join(map(str, spec["healthcheck"]["test"]))
        assert f"http://127.0.0.1:{command_port}/healthz" in health, name
        assert any(str(mapping).endswith(f":{command_port}") for mapping in spec["ports"]), name
        assert spec["user"] not in ("root", "0", "0:0") and spec["read_only"] is True, name
        assert "ALL" in spec["cap_drop"], name


def test_compose_migrate_runs_once_with_every_database() -> None:
    migrate = compose_services()["migrate"]
    assert is_remedium_container(migrate)
    assert migrate["command"] == ["remedium", "migrate"]
    assert migrate["restart"] == "no"
    env = compose_environment(migrate)
    for service in deployed_services():
        assert f"{service.upper()}_DATABASE_URL" in env, service
    assert "REMEDIUM_AUTH_DATABASE_URL" in env


def test_compose_each_service_sees_only_its_own_database() -> None:
    for name, spec in compose_apps().items():
        env = compose_environment(spec)
        urls = {key for key in env if key.endswith("_DATABASE_URL")}
        assert urls == {f"{name.upper()}_DATABASE_URL", "REMEDIUM_AUTH_DATABASE_URL"}, name
        assert "REMEDIUM_VAULT_MASTER_KEY" in env, name


def test_compose_sets_only_variables_that_are_read() -> None:
    for name, spec in compose_services().items():
        names = compose_environment(spec)
        if is_remedium_container(spec):
            assert not unknown_variables(names), f"{name}: unknown {unknown_variables(names)}"
        else:
            unknown = sorted(set(names) - INFRA_VARIABLES[name])
            assert not unknown, f"{name}: variables its image does not read: {unknown}"


def test_compose_settings_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, spec in compose_apps().items():
        check_settings(monkeypatch, compose_environment(spec), name)


def test_compose_secrets_come_from_the_env_file() -> None:
    text = COMPOSE.read_text()
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    example = env_file_keys(ENV_EXAMPLE)
    assert interpolated == set(example), "deploy/.env.example and compose.yaml disagree"
    assert all(value == "REPLACE_ME" for value in example.values()), "no real secret in git"
    for variable in interpolated:  # required: compose refuses to start without them
        assert re.findall(rf"\$\{{{variable}(?!:\?)", text) == [], variable
    for name, spec in compose_apps().items():
        key = compose_environment(spec)["REMEDIUM_VAULT_MASTER_KEY"]
        assert key.startswith("${REMEDIUM_VAULT_MASTER_KEY:?"), name


# --- Dockerfile ---------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_installs_the_project_and_runs_as_non_root() -> None:
    for spec in compose_services().values():
        if "build" in spec:
            assert (DEPLOY / spec["build"]["context"] / spec["build"]["dockerfile"]).resolve() == (
                DOCKERFILE.resolve()
            )
    instructions = dockerfile_instructions()
    stages = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert stages and all(stage.startswith("python:3.11-slim") for stage in stages)
    assert any(
        keyword == "RUN" and "pip install" in rest and " ." in rest
        for keyword, rest in instructions
    )
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    for keyword, rest in instructions:
        if keyword == "COPY" and not rest.startswith("--from"):
            source = rest.split()[0]
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        if keyword == "ENV":
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", rest) or [rest.split()[0]]
            assert not unknown_variables(names), f"Dockerfile ENV: {unknown_variables(names)}"


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A setuptools package-data glob: ``*`` stays within one path segment."""
    return re.compile("".join("[^/]*" if c == "*" else re.escape(c) for c in pattern) + r"\Z")


def installed_by_pip(path: Path, package_data: dict[str, list[str]]) -> bool:
    """Whether ``pip install .`` installs ``path``: ``packages.find`` finds namespace packages
    too, so every module is; any other file must match a package-data glob of its directory's
    package or of one of its parents."""
    if path.suffix == ".py":
        return True
    for package in path.parents:
        if package == ROOT:
            return False
        patterns = [*package_data.get("*", [])]
        patterns += package_data.get(".".join(package.relative_to(ROOT).parts), [])
        relative = path.relative_to(package).as_posix()
        if any(glob_regex(pattern).match(relative) for pattern in patterns):
            return True
    return False


def test_the_image_gets_every_file_of_the_services() -> None:
    """The image installs the project with pip, not in editable mode: every file that is not a
    module (migration templates, pages...) must be in package-data."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_data = setuptools.get("package-data", {})
    missing = []
    for top in ("shared", "services"):
        assert any(glob_regex(p).match(top) for p in setuptools["packages"]["find"]["include"])
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            if not installed_by_pip(path, package_data):
                missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"not installed by `pip install .` (add to package-data): {missing}"


# --- Kubernetes ---------------------------------------------------------------------------------


def test_every_k8s_object_has_api_version_kind_and_metadata() -> None:
    documents = k8s_documents()
    assert documents
    for path, document in documents:
        where = f"{path.name}: {document.get('kind')}"
        assert document.get("apiVersion") and document.get("kind"), where
        metadata = document.get("metadata") or {}
        assert metadata.get("name"), where
        if document["kind"] != "Namespace":
            assert metadata.get("namespace") == NAMESPACE, where
    kinds = {document["kind"] for _, document in documents}
    assert {"Namespace", "ConfigMap", "Secret", "Job", "Deployment", "Service"} <= kinds


def test_kustomization_lists_every_manifest() -> None:
    (kustomization,) = load_all(K8S / "kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == NAMESPACE
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    manifests = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(listed) == manifests
    images = {image["name"] for image in kustomization.get("images", [])}
    for _, document in k8s_documents():
        if document["kind"] in ("Deployment", "Job"):
            for container in containers(document):
                assert container["image"] in images, "kustomize sets every Remedium image"


def deployments() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in k8s_objects("Deployment")}


def port_numbers(container: dict[str, Any]) -> dict[str | int, int]:
    ports: dict[str | int, int] = {}
    for port in container.get("ports", []):
        ports[port["containerPort"]] = port["containerPort"]
        if "name" in port:
            ports[port["name"]] = port["containerPort"]
    return ports


def test_deployments_probe_readyz_and_healthz_and_are_hardened() -> None:
    found = deployments()
    assert deployed_services() <= set(found), f"missing: {deployed_services() - set(found)}"
    for name, deployment in found.items():
        assert known_service(name), name
        spec = deployment["spec"]
        labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= labels.items(), name
        pod = pod_spec(deployment)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod.get("enableServiceLinks") is False, f"{name}: service links add variables"
        (container,) = pod["containers"]
        ports = port_numbers(container)
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            http_get = container[probe]["httpGet"]
            assert http_get["path"] == path, (name, probe)
            assert http_get["port"] in ports, (name, probe)
        command = [str(part) for part in container["command"]]
        assert app_service(command) == name
        assert int(command[command.index("--port") + 1]) in ports.values(), name
        assert PLANNED.get(name) in (None, ports["http"]), name
        resources = container["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"], name
        assert resources["limits"]["memory"], name
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        sources = {next(iter(source)) for source in container["envFrom"]}
        assert sources == {"configMapRef", "secretRef"}, name


def test_services_select_their_deployments() -> None:
    found = deployments()
    services = {s["metadata"]["name"]: s for s in k8s_objects("Service")}
    assert set(found) <= set(services)
    for name, deployment in found.items():
        service = services[name]["spec"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["selector"].items() <= labels.items(), name
        (container,) = pod_spec(deployment)["containers"]
        for port in service["ports"]:
            assert port["targetPort"] in port_numbers(container), name


def test_migration_job_migrates_every_database() -> None:
    (job,) = k8s_objects("Job")
    (container,) = pod_spec(job)["containers"]
    assert container["command"] == ["remedium", "migrate"]
    assert pod_spec(job)["restartPolicy"] in ("Never", "OnFailure")
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    env = container_environment(container)
    for service in deployed_services():
        assert f"{service.upper()}_DATABASE_URL" in env, service
    assert "REMEDIUM_AUTH_DATABASE_URL" in env


def test_k8s_each_service_sees_only_its_own_database() -> None:
    for name, deployment in deployments().items():
        (container,) = pod_spec(deployment)["containers"]
        env = container_environment(container)
        urls = {key for key in env if key.endswith("_DATABASE_URL")}
        assert urls == {f"{name.upper()}_DATABASE_URL", "REMEDIUM_AUTH_DATABASE_URL"}, name
        assert "REMEDIUM_VAULT_MASTER_KEY" in env and "REMEDIUM_KAFKA_BOOTSTRAP" in env, name


def test_k8s_sets_only_variables_that_are_read() -> None:
    names: list[str] = []
    for values in [*configmaps().values(), *secrets().values()]:
        names.extend(values)
    for _, document in k8s_documents():
        if document["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob"):
            for container in containers(document):
                names.extend(item["name"] for item in container.get("env", []))
    assert names
    assert not unknown_variables(names), f"unknown variables: {unknown_variables(names)}"


def test_k8s_secrets_hold_placeholders_and_the_configmap_no_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, values in secrets().items():
        for key, value in values.items():
            assert "REPLACE_ME" in value, f"{name}.{key} must stay a placeholder in git"
    for name, values in configmaps().items():
        for key in values:
            assert not key.endswith("DATABASE_URL") and "KEY" not in key, (name, key)
        check_settings(monkeypatch, values, name)


# --- commands refer to code that exists ---------------------------------------------------------


def module_defines(path: Path, function: str) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function
        for node in tree.body
    )


def commands() -> Iterator[tuple[str, list[str]]]:
    for name, spec in compose_services().items():
        if is_remedium_container(spec):
            yield f"compose {name}", [str(part) for part in spec["command"]]
    for _, document in k8s_documents():
        if document["kind"] in ("Deployment", "Job"):
            for container in containers(document):
                yield f"k8s {container['name']}", [str(part) for part in container["command"]]


def test_every_command_refers_to_code_that_exists() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    seen = 0
    for where, command in commands():
        seen += 1
        if command[0] == "uvicorn" and GATEWAY_APP in command:
            assert module_defines(ROOT / "shared" / "gateway.py", "create_gateway"), where
        elif command[0] == "uvicorn":
            service = app_service(command)
            assert service is not None, f"{where}: not a services.<name>.app:create_app factory"
            app_file = ROOT / "services" / service / "app.py"
            if (ROOT / "services" / service).is_dir():
                assert app_file.is_file(), f"{where}: {app_file} does not exist"
                assert module_defines(app_file, "create_app"), f"{where}: no create_app"
            else:
                assert service in PLANNED, f"{where}: no service {service!r}"
        elif command[0] == "remedium":
            module, _, attribute = scripts["remedium"].partition(":")
            path = ROOT / (module.replace(".", "/") + ".py")
            assert path.is_file() and attribute, where
            assert module_defines(path, command[1]), f"{where}: no command {command[1]!r}"
        else:
            pytest.fail(f"{where}: unexpected command {command}")
    assert seen >= 2 * len(PLANNED) + 2


def test_compose_gateway_fronts_every_service() -> None:
    gateway = compose_services()["gateway"]
    upstreams = json.loads(compose_environment(gateway)["REMEDIUM_GATEWAY_UPSTREAMS"])
    assert set(upstreams) == set(compose_apps()) == deployed_services()
    for name, url in upstreams.items():
        assert url == f"http://{name}:{PLANNED[name]}", name
    assert set(gateway["depends_on"]) == set(upstreams)


# --- helpers and a check that the variable check is not vacuous ---------------------------------


def check_settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], where: str) -> None:
    """The values must validate as Settings (e.g. a number where a number is expected)."""
    with monkeypatch.context() as patch:
        for variable in readable_variables():
            patch.delenv(variable, raising=False)
        for key, value in env.items():
            patch.setenv(key, re.sub(r"\$\{[^}]*\}", "placeholder", value))
        try:
            Settings()
        except Exception as error:  # pragma: no cover - the message is the point
            pytest.fail(f"{where}: invalid settings: {error}")


def test_a_misspelt_variable_is_reported() -> None:
    assert unknown_variables(["REMEDIUM_KAFKA_BOOTSTRAP", "INTAKE_DATABASE_URL"]) == []
    assert unknown_variables(["REMEDIUM_KAFKA_BOOTSTRAPS", "INTAKE_DATABSE_URL"]) == [
        "INTAKE_DATABSE_URL",
        "REMEDIUM_KAFKA_BOOTSTRAPS",
    ]
    assert unknown_variables(["GADGET_DATABASE_URL"]) == ["GADGET_DATABASE_URL"]
    assert {"MONITORING_DATABASE_URL", "REPORTING_DATABASE_URL"} <= readable_variables()
