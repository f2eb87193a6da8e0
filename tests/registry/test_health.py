"""Health, readiness and metrics as Kubernetes and Prometheus see them."""

from __future__ import annotations

from tests.registry.conftest import Registry


async def test_livez_readyz_and_metrics(registry: Registry) -> None:
    live = await registry.client.get("/livez")
    assert live.status_code == 200
    assert live.headers["content-type"] == "application/health+json"
    ready = await registry.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "pass"
    assert set(ready.json()["checks"]) >= {"database:connection", "database:migrations"}
    project = await registry.project()
    await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)
    metrics = (await registry.client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/v1/projects/{project_id}",status="200"}' in metrics
    assert project["id"] not in metrics, "raw paths must never become labels"


async def test_request_id_is_echoed_or_generated(registry: Registry) -> None:
    given = await registry.client.get("/livez", headers={"X-Request-ID": "trace-123"})
    assert given.headers["x-request-id"] == "trace-123"
    generated = await registry.client.get("/livez")
    assert len(generated.headers["x-request-id"]) == 32


async def test_readiness_fails_behind_and_warns_ahead(registry: Registry) -> None:
    await registry.execute("UPDATE alembic_version SET version_num = 'an-older-or-unknown'")
    ahead = await registry.client.get("/readyz")
    assert ahead.status_code == 200
    assert ahead.json()["status"] == "warn"
    await registry.execute("DELETE FROM alembic_version")
    behind = await registry.client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["checks"]["database:migrations"][0]["status"] == "fail"
