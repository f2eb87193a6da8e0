"""The deploy/ files agree with the Kubernetes schemas and with the apps they run (offline, no Docker needed).

- every YAML document under deploy/k8s validates against the Kubernetes 1.30 schemas (strict: unknown fields fail);
- the k8s manifests deploy exactly registry, risk and financing, each with its HTTP Deployment, Service, HPA, PDB,
  dispatcher worker Deployment and migration Job;
- every probe path is a route of the app and every probe port a port of the container;
- every container runs ``python -m services.<name>`` with flags the service's real argument parser accepts;
- ConfigMap and Secret keys referenced by the pods exist, and the environment they give a pod builds the service's
  settings (production, listening on 0.0.0.0, right port, private webhook destinations refused);
- the compose file parses, runs only the three services with a migration step first, and wires them together.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import importlib.util
import os
import re
import runpy
import secrets
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml
from fastapi import FastAPI
from pydantic import ValidationError

from services.catalog import SERVICES
from services.common import serve
from services.common.migrations import upgrade
from services.common.settings import DEV_EVENTS_SECRET, DEV_JWT_SECRET, ServiceSettings
from tests.support.apps import running

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazy included routers: app.routes is flat
    iter_route_contexts = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.30.0"

EXPECTED_SERVICES = {"registry", "risk", "financing"}
# The ports of DESIGN.md; for a service present in services.catalog they are also checked against its settings.
DEFAULT_PORTS = {"registry": 8001, "risk": 8002, "financing": 8003}
IMAGE_ENTRYPOINT = ["python", "-m"]
FLAG_BY_ROLE = {"api": "--no-migrate", "dispatcher": "--dispatcher-only", "migration": "--migrate-only"}
MEMORY_DATABASE = "sqlite+aiosqlite:///:memory:"


# ---- loading ------------------------------------------------------------------------------------------------------


def _k8s_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@functools.cache
def _documents() -> tuple[tuple[str, int, dict[str, Any]], ...]:
    docs = []
    for path in _k8s_files():
        for index, doc in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            if doc:
                docs.append((path.name, index, doc))
    return tuple(docs)


def _of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, _, doc in _documents() if doc["kind"] == kind]


def _named(kind: str, name: str) -> dict[str, Any]:
    matches = [doc for doc in _of_kind(kind) if doc["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} named {name}, found {len(matches)}"
    return matches[0]


def _role(doc: dict[str, Any]) -> str:
    return doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]


def _service_of(doc: dict[str, Any]) -> str:
    return doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]


def _workloads() -> list[dict[str, Any]]:
    return _of_kind("Deployment") + _of_kind("Job")


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    pod = workload["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def _api_deployment(name: str) -> dict[str, Any]:
    matches = [d for d in _of_kind("Deployment") if _service_of(d) == name and _role(d) == "api"]
    assert len(matches) == 1, f"expected one HTTP Deployment of {name}, found {len(matches)}"
    return matches[0]


def _workload_ids() -> list[str]:
    return [f"{w['kind']}/{w['metadata']['name']}" for w in _workloads()]


def _get_paths(app: FastAPI) -> frozenset[str]:
    """The paths the app answers GET on (FastAPI 0.165 keeps included routers lazy: flatten them as OpenAPI does)."""
    routes: Iterable[Any] = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    return frozenset(
        r.path for r in routes if getattr(r, "path", None) and "GET" in (getattr(r, "methods", None) or ())
    )


@functools.cache
def _app_paths(name: str) -> frozenset[str]:
    entry = SERVICES[name]
    return _get_paths(entry.app(entry.settings(database_url=MEMORY_DATABASE)))


# ---- schemas ------------------------------------------------------------------------------------------------------


def test_the_kubernetes_schemas_are_available_offline() -> None:
    assert KUBERNETES_VERSION.rsplit(".", 1)[0] in {
        v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()
    }


@pytest.mark.parametrize(
    ("filename", "index", "doc"), [pytest.param(f, i, d, id=f"{f}#{i}:{d['kind']}") for f, i, d in _documents()]
)
def test_every_document_validates_against_the_kubernetes_schema(filename: str, index: int, doc: dict) -> None:
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path)
        pytest.fail(f"{filename} document {index} ({doc['kind']}): {path}: {exc.message}")
    except kubernetes_validate.SchemaNotFoundError as exc:
        pytest.fail(exc.message)


def test_every_document_is_namespaced_and_labelled() -> None:
    for _, _, doc in _documents():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "handover", doc["metadata"]["name"]
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "handover", doc["metadata"]["name"]


def test_the_kustomization_lists_every_manifest_file() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert sorted(kustomization["resources"]) == sorted(p.name for p in _k8s_files())
    assert kustomization["namespace"] == "handover"
    assert {image["name"] for image in kustomization.get("images", [])} == {
        c["image"] for w in _workloads() for c in _containers(w)
    }


def test_kustomize_builds_the_manifests() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    built = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert len(built) == len(_documents())


# ---- the set of services ------------------------------------------------------------------------------------------


def test_the_manifests_deploy_exactly_the_three_services() -> None:
    assert {_service_of(w) for w in _workloads()} == EXPECTED_SERVICES
    assert {s["metadata"]["name"] for s in _of_kind("Service")} == EXPECTED_SERVICES


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES))
def test_each_service_has_its_full_set_of_objects(name: str) -> None:
    roles = sorted(_role(w) for w in _workloads() if _service_of(w) == name)
    assert roles == ["api", "dispatcher", "migration"]
    api = _api_deployment(name)
    assert api["metadata"]["name"] == name
    dispatcher = _named("Deployment", f"{name}-dispatcher")
    assert dispatcher["spec"]["replicas"] == 2
    job = _named("Job", f"{name}-migrate")
    assert job["spec"]["backoffLimit"] >= 1
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"Never", "OnFailure"}
    _named("Service", name)
    _named("HorizontalPodAutoscaler", name)


def test_the_services_known_to_the_catalog_are_among_those_deployed() -> None:
    assert set(SERVICES) <= EXPECTED_SERVICES


# ---- commands -----------------------------------------------------------------------------------------------------


class _Parsed(Exception):
    """Raised in place of building settings: the arguments got past the service's argument parser."""


@contextlib.contextmanager
def _captured_main() -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    with mock.patch.object(serve, "main", side_effect=lambda **kwargs: calls.append(kwargs)):
        yield calls


def _check_command(module: str, arguments: list[str]) -> None:
    """Run ``python -m <module>``'s __main__ up to its argument parsing, with ``arguments``."""
    assert importlib.util.find_spec(f"{module}.__main__") is not None, f"{module} has no __main__"
    with _captured_main() as calls:
        runpy.run_module(module, run_name="__main__", alter_sys=False)
    assert len(calls) == 1, f"{module}.__main__ does not start through services.common.serve.main"

    def parsed() -> ServiceSettings:
        raise _Parsed

    kwargs = {**calls[0], "settings_factory": parsed, "argv": arguments}
    with pytest.raises(_Parsed):
        serve.main(**kwargs)


def _container_arguments(container: dict[str, Any]) -> list[str]:
    # The image's ENTRYPOINT is "python -m"; a container gives only the arguments (the module, then flags).
    assert container.get("command", IMAGE_ENTRYPOINT) == IMAGE_ENTRYPOINT, container["name"]
    return list(container["args"])


@pytest.mark.parametrize("workload", _workloads(), ids=_workload_ids())
def test_every_container_runs_its_service_with_the_flag_of_its_role(workload: dict[str, Any]) -> None:
    name, role = _service_of(workload), _role(workload)
    for container in _containers(workload):
        module, *flags = _container_arguments(container)
        assert module == f"services.{name}"
        assert flags == [FLAG_BY_ROLE[role]]


@pytest.mark.parametrize("workload", _workloads(), ids=_workload_ids())
def test_every_container_command_is_accepted_by_the_service(workload: dict[str, Any]) -> None:
    name = _service_of(workload)
    if name not in SERVICES:
        pytest.skip(f"services.{name} is not in services.catalog yet")
    for container in _containers(workload):
        module, *flags = _container_arguments(container)
        _check_command(module, flags)


def test_an_unknown_flag_is_refused_by_the_check() -> None:
    with pytest.raises(SystemExit):
        _check_command("services.registry", ["--no-such-flag"])


# ---- probes and ports ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES))
def test_each_http_deployment_listens_on_the_service_port(name: str) -> None:
    (container,) = _api_deployment(name)["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": DEFAULT_PORTS[name]}
    if name in SERVICES:
        assert SERVICES[name].settings(database_url=MEMORY_DATABASE).port == DEFAULT_PORTS[name]
    service = _named("Service", name)
    assert service["spec"]["type"] == "ClusterIP"
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(DEFAULT_PORTS[name], "http")]
    pod_labels = _api_deployment(name)["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES))
def test_each_http_deployment_has_startup_liveness_and_readiness_probes(name: str) -> None:
    pod = _api_deployment(name)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "httpGet" in container["startupProbe"]


@pytest.mark.parametrize("workload", _workloads(), ids=_workload_ids())
def test_every_pod_runs_non_root_on_a_read_only_root_with_resources(workload: dict[str, Any]) -> None:
    pod = workload["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    for container in _containers(workload):
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert mounts.get("/tmp") in tmp_volumes
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= container["resources"][kind].keys(), (container["name"], kind)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_probe_path_and_port_exists_in_the_app(name: str) -> None:
    paths = _app_paths(name)
    assert {"/livez", "/readyz", "/metrics"} <= paths
    for workload in (w for w in _workloads() if _service_of(w) == name):
        for container in _containers(workload):
            ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = container.get(kind)
                if probe is None:
                    continue
                get = probe["httpGet"]
                assert get["path"] in paths, f"{workload['metadata']['name']} {kind} {get['path']}"
                port = ports.get(get["port"]) if isinstance(get["port"], str) else get["port"]
                assert port == DEFAULT_PORTS[name], f"{workload['metadata']['name']} {kind} port {get['port']}"
    annotations = _api_deployment(name)["spec"]["template"]["metadata"].get("annotations", {})
    if "prometheus.io/path" in annotations:
        assert annotations["prometheus.io/path"] in paths
        assert int(annotations["prometheus.io/port"]) == DEFAULT_PORTS[name]


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_the_probes_answer_as_the_kubelet_expects(name: str, tmp_path: Path) -> None:
    """On a migrated database, /livez and /readyz answer 200 health+json and /metrics Prometheus text."""
    with _captured_main() as calls:
        runpy.run_module(f"services.{name}", run_name="__main__", alter_sys=False)
    url = f"sqlite+aiosqlite:///{tmp_path / name}.db"
    await asyncio.to_thread(upgrade, calls[0]["migrations_dir"], url)
    entry = SERVICES[name]
    app = entry.app(entry.settings(database_url=url, run_dispatcher=False))
    async with running(app) as client:
        for path in ("/livez", "/readyz"):
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text)
            assert response.headers["content-type"].startswith("application/health+json")
            assert response.json()["status"] == "pass"
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")


# ---- configuration ------------------------------------------------------------------------------------------------


def _config_data(kind: str, name: str) -> dict[str, str]:
    doc = _named(kind, name)
    return {**doc.get("data", {}), **doc.get("stringData", {})}


@pytest.mark.parametrize("workload", _workloads(), ids=_workload_ids())
def test_every_referenced_config_map_and_secret_key_exists(workload: dict[str, Any]) -> None:
    for container in _containers(workload):
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef") or source.get("secretRef")
            kind = "ConfigMap" if "configMapRef" in source else "Secret"
            assert _config_data(kind, ref["name"]), f"{kind} {ref['name']} is empty"
        for variable in container.get("env", []):
            source = variable.get("valueFrom", {})
            for ref_key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if ref_key in source:
                    ref = source[ref_key]
                    assert ref["key"] in _config_data(kind, ref["name"]), f"{variable['name']}: {kind} {ref}"


def _pod_environment(container: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef") or source.get("secretRef")
        env.update(_config_data("ConfigMap" if "configMapRef" in source else "Secret", ref["name"]))
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            source = variable["valueFrom"]
            ref = source.get("configMapKeyRef") or source.get("secretKeyRef")
            kind = "ConfigMap" if "configMapKeyRef" in source else "Secret"
            env[variable["name"]] = _config_data(kind, ref["name"])[ref["key"]]
    return env


def _settings_variables(settings_class: type[ServiceSettings]) -> set[str]:
    """Every environment variable a settings class reads."""
    prefix = settings_class.model_config.get("env_prefix", "")
    names = set()
    for field_name, field in settings_class.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.update(str(c) for c in choices)
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"{prefix}{field_name}".upper())
    return {n.upper() for n in names}


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in list(os.environ):
        if variable.startswith(("HANDOVER_", *(f"{n.upper()}_" for n in EXPECTED_SERVICES))):
            monkeypatch.delenv(variable)
    return monkeypatch


def test_every_configured_variable_is_a_setting_of_some_service() -> None:
    shared = _settings_variables(ServiceSettings)
    for kind, name in (("ConfigMap", "handover-config"), ("Secret", "handover-secrets")):
        for key in _config_data(kind, name):
            prefix = key.split("_", 1)[0].lower()
            if key.startswith("HANDOVER_"):
                assert key in shared, f"{kind} {name}: {key} is not a shared setting"
            else:
                assert prefix in EXPECTED_SERVICES, f"{kind} {name}: {key} belongs to no service"
                if prefix in SERVICES:
                    settings_class = type(SERVICES[prefix].settings(database_url=MEMORY_DATABASE))
                    assert key in _settings_variables(settings_class), f"{kind} {name}: {key} is not a setting"


@pytest.mark.parametrize("workload", _workloads(), ids=_workload_ids())
def test_the_pod_environment_builds_production_settings(
    workload: dict[str, Any], clean_environment: pytest.MonkeyPatch
) -> None:
    name = _service_of(workload)
    (container,) = _containers(workload)
    env = _pod_environment(container)
    assert env[f"{name.upper()}_DATABASE_URL"].startswith("postgresql")
    assert env["HANDOVER_WEBHOOK_ALLOW_PRIVATE"] == "false"
    for peer in EXPECTED_SERVICES:
        url = urlsplit(env[f"HANDOVER_{peer.upper()}_URL"])
        assert (url.hostname, url.port) == (peer, DEFAULT_PORTS[peer]), "peers are reached through their Service"
    if name not in SERVICES:
        pytest.skip(f"services.{name} is not in services.catalog yet")
    for key, value in env.items():
        clean_environment.setenv(key, value)
    with pytest.raises(ValidationError):
        SERVICES[name].settings()  # the committed placeholders must not start a production pod
    clean_environment.setenv("HANDOVER_JWT_SECRET", secrets.token_urlsafe(48))
    clean_environment.setenv("HANDOVER_EVENTS_SECRET", "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())
    settings = SERVICES[name].settings()
    assert settings.environment == "production"
    assert settings.jwt_secret != DEV_JWT_SECRET
    assert settings.events_secret != DEV_EVENTS_SECRET
    assert settings.webhook_allow_private is False
    assert settings.host == "0.0.0.0"
    assert settings.port == DEFAULT_PORTS[name]
    assert settings.run_dispatcher is False, "HTTP pods leave dispatching to the dispatcher Deployments"
    assert settings.database_url == env[f"{name.upper()}_DATABASE_URL"]


def test_the_committed_secrets_are_placeholders() -> None:
    for secret in _of_kind("Secret"):
        assert "data" not in secret, "commit placeholders as stringData, never encoded real values"
        for key, value in secret["stringData"].items():
            assert "REPLACE_ME" in value, f"Secret {secret['metadata']['name']} {key} is not a placeholder"


# ---- scaling ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hpa", _of_kind("HorizontalPodAutoscaler"), ids=lambda h: h["metadata"]["name"])
def test_each_autoscaler_targets_an_existing_http_deployment(hpa: dict[str, Any]) -> None:
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment")
    deployment = _named("Deployment", target["name"])
    assert _role(deployment) == "api"
    assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}


@pytest.mark.parametrize("pdb", _of_kind("PodDisruptionBudget"), ids=lambda p: p["metadata"]["name"])
def test_each_disruption_budget_selects_a_deployment(pdb: dict[str, Any]) -> None:
    selector = pdb["spec"]["selector"]["matchLabels"]
    selected = [
        d for d in _of_kind("Deployment") if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert len(selected) == 1, pdb["metadata"]["name"]


def test_every_http_deployment_has_a_disruption_budget() -> None:
    for deployment in _of_kind("Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(
            p["spec"]["selector"]["matchLabels"].items() <= labels.items() for p in _of_kind("PodDisruptionBudget")
        ), deployment["metadata"]["name"]


# ---- image --------------------------------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_image_runs_python_m_as_a_non_root_user() -> None:
    instructions = _dockerfile_instructions()
    args = dict(value.split("=", 1) for op, value in instructions if op == "ARG" and "=" in value)
    bases = [value.split()[0] for op, value in instructions if op == "FROM"]
    assert args.get("PYTHON_IMAGE") == "python:3.11-slim"
    assert all(base in ("${PYTHON_IMAGE}", "python:3.11-slim") for base in bases)
    last_stage = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    final = instructions[last_stage:]
    users = [value for op, value in final if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert yaml.safe_load([v for op, v in final if op == "ENTRYPOINT"][-1]) == IMAGE_ENTRYPOINT
    assert yaml.safe_load([v for op, v in final if op == "CMD"][-1]) == ["services.registry"]
    uids = {w["spec"]["template"]["spec"]["securityContext"].get("runAsUser") for w in _workloads()} - {None}
    assert uids <= {int(users[-1].split(":")[0])}


def test_the_build_context_leaves_out_local_state() -> None:
    for ignore_file in (DEPLOY / "Dockerfile.dockerignore", ROOT / ".dockerignore"):
        patterns = ignore_file.read_text(encoding="utf-8").splitlines()
        assert "*" in patterns, f"{ignore_file}: the context is an allow-list"
        assert {"!pyproject.toml", "!services/"} <= set(patterns)


# ---- compose ------------------------------------------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")


def _interpolate(value: Any) -> str:
    """Compose's ${NAME:-default}, resolved with the defaults (as on a machine with none of them set)."""
    return _INTERPOLATION.sub(lambda m: m.group(2) or "", str(value))


@functools.cache
def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def _compose_app_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in _compose()["services"].items() if "command" in s and "build" in s}


def test_compose_runs_postgres_and_only_the_three_services() -> None:
    services = _compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    apps = _compose_app_services()
    assert set(services) == {"postgres", *apps}
    for name, service in apps.items():
        module, *flags = service["command"]
        assert module in {f"services.{n}" for n in EXPECTED_SERVICES}, name
        assert len(flags) == 1
        assert flags[0] in {"--migrate-only", "--no-migrate"}, name
    assert {s["command"][0].removeprefix("services.") for s in apps.values()} == EXPECTED_SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_commands_are_accepted_by_the_service(name: str) -> None:
    for service in _compose_app_services().values():
        module, *flags = service["command"]
        if module == f"services.{name}":
            _check_command(module, flags)


def test_compose_migrates_first_then_starts_the_services_healthy() -> None:
    services = _compose()["services"]
    init_sql = (DEPLOY / "postgres-init" / "01-databases.sql").read_text(encoding="utf-8")
    databases = set(re.findall(r"CREATE DATABASE (\w+)", init_sql))
    assert databases == EXPECTED_SERVICES
    for name in EXPECTED_SERVICES:
        migrate, app = services[f"{name}-migrate"], services[name]
        assert migrate["command"] == [f"services.{name}", "--migrate-only"]
        assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert app["command"] == [f"services.{name}", "--no-migrate"]
        assert app["depends_on"][f"{name}-migrate"]["condition"] == "service_completed_successfully"
        assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
        env = {key: _interpolate(value) for key, value in app["environment"].items()}
        url = urlsplit(env[f"{name.upper()}_DATABASE_URL"])
        assert (url.hostname, url.path.lstrip("/")) == ("postgres", name)
        assert env[f"{name.upper()}_HOST"] == "0.0.0.0"
        assert int(env[f"{name.upper()}_PORT"]) == DEFAULT_PORTS[name]
        assert env["HANDOVER_WEBHOOK_ALLOW_PRIVATE"] == "false"
        for peer in EXPECTED_SERVICES:
            peer_url = urlsplit(env[f"HANDOVER_{peer.upper()}_URL"])
            assert (peer_url.hostname, peer_url.port) == (peer, DEFAULT_PORTS[peer])
        test = app["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"]
        assert f"http://127.0.0.1:{DEFAULT_PORTS[name]}/readyz" in test[3]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_environment_builds_the_settings(name: str, clean_environment: pytest.MonkeyPatch) -> None:
    for key, value in _compose()["services"][name]["environment"].items():
        clean_environment.setenv(key, _interpolate(value))
    settings = SERVICES[name].settings()
    assert settings.host == "0.0.0.0"
    assert settings.port == DEFAULT_PORTS[name]
    assert settings.webhook_allow_private is False
    # The development secrets, accepted because HANDOVER_ENV defaults to development; compose.yaml says to replace them.
    assert settings.jwt_secret == DEV_JWT_SECRET
    assert settings.events_secret == DEV_EVENTS_SECRET


def test_the_image_carries_what_the_bulletins_pdf_needs() -> None:
    """Pango for WeasyPrint and the Noto CJK fonts it embeds are in the final stage; matplotlib's cache goes to
    the writable /tmp on a read-only root."""
    instructions = _dockerfile_instructions()
    final = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    installed = " ".join(value for op, value in final if op == "RUN")
    for package in ("fonts-noto-cjk", "fontconfig", "libpango-1.0-0", "libpangoft2-1.0-0"):
        assert package in installed.split(), package
    env = " ".join(value for op, value in final if op == "ENV")
    assert "MPLCONFIGDIR=/tmp/matplotlib" in env.split()
