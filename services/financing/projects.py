"""Projects as financing learns them: asked of the registry, which owns them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from services.common.peers import PeerContractError, PeerUnavailable
from services.common.peers.registry import RegistryClient
from services.common.problems import ProblemError, unprocessable

# Statuses in which a project can no longer be financed.
FINISHED = frozenset({"terminated", "closed"})
UNKNOWN_PROJECT = "The registry has no project with this id."


@contextlib.contextmanager
def _registry_problems() -> Iterator[None]:
    """A registry that cannot be reached is a 503 to retry; one that answers outside its contract, a 502."""
    try:
        yield
    except PeerUnavailable as exc:
        raise ProblemError(
            503,
            "The registry, which owns the projects, cannot be reached; try again shortly.",
            slug="registry-unavailable",
            headers={"Retry-After": "5"},
        ) from exc
    except PeerContractError as exc:
        raise ProblemError(502, f"The registry answered unexpectedly: {exc.reason}", slug="registry-error") from exc


async def fetch(registry: RegistryClient, project_id: str, pointer: str) -> dict[str, Any]:
    """The registry's project.

    Raises ProblemError 422 (at ``pointer``) when the registry has no such project, 503 when the registry
    cannot be reached, 502 when it answers unexpectedly.
    """
    with _registry_problems():
        project = await registry.get_project(project_id)
    if project is None or not isinstance(project.get("district"), str):
        raise unprocessable(UNKNOWN_PROJECT, pointer, slug="unknown-project")
    return project


async def fetch_many(registry: RegistryClient, project_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The registry's projects among ``project_ids``, by id, with one bulk call (unknown ids are left out):
    each as ``{"id", "code", "name", "district", "status"}``.

    Raises ProblemError 503 when the registry cannot be reached, 502 when it answers unexpectedly.
    """
    with _registry_problems():
        answer = await registry.query_risk_facts(project_ids)
    return {
        item.project_id: {
            "id": item.project_id,
            "code": item.code,
            "name": item.name,
            "district": item.district,
            "status": item.status,
        }
        for item in answer.items
    }
