"""The module contract of docs/architecture.md, checked on the source: a newcomer's domain that breaks it fails
here rather than in review."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parent.parent / "services"
DOMAIN_SERVICES = ("registry", "risk", "financing")


def _modules() -> Iterator[Path]:
    for path in sorted(SERVICES.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imports(path: Path) -> Iterator[tuple[str, str | None]]:
    """(module, name) for every import in ``path``; name is None for ``import module``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.module, alias.name


def _layer(name: str) -> list[Path]:
    return [p for p in _modules() if p.name == name and p.relative_to(SERVICES).parts[0] in DOMAIN_SERVICES]


def test_production_code_imports_no_test_code() -> None:
    offenders = [
        f"{path.relative_to(SERVICES)}: {module}"
        for path in _modules()
        for module, _ in _imports(path)
        if module.split(".")[0] in ("tests", "respx")
    ]
    assert not offenders


def test_services_and_repositories_never_see_the_http_request() -> None:
    offenders = [
        f"{path.relative_to(SERVICES)}: {module}.{name}"
        for layer in ("service.py", "repository.py", "schemas.py", "status.py")
        for path in _layer(layer)
        for module, name in _imports(path)
        if module.split(".")[0] in ("fastapi", "starlette") and name in ("Request", "Response")
    ]
    assert not offenders


@pytest.mark.parametrize("layer", ["endpoints.py", "service.py"])
def test_sql_stays_in_repositories(layer: str) -> None:
    """Routers and services use a session and the repository's functions, never a statement of their own (a
    service may catch ``sqlalchemy.exc`` errors)."""
    offenders = [
        f"{path.relative_to(SERVICES)}: {module}"
        for path in _layer(layer)
        for module, _ in _imports(path)
        if module.split(".")[0] == "sqlalchemy" and module not in ("sqlalchemy.ext.asyncio", "sqlalchemy.exc")
    ]
    assert not offenders


def test_no_domain_imports_another_domains_router() -> None:
    offenders = []
    for path in _modules():
        parts = path.relative_to(SERVICES).with_suffix("").parts
        for module, name in _imports(path):
            target = module.split(".")
            foreign = target[-1] == "endpoints" and target[:1] == ["services"] and target[1:-1] != list(parts[:-1])
            if foreign and path.name != "app.py":  # the app assembles the routers
                offenders.append(f"{'/'.join(parts)}: {module}.{name}")
    assert not offenders


def test_shared_code_does_not_depend_on_a_service() -> None:
    offenders = [
        f"{path.relative_to(SERVICES)}: {module}"
        for path in (SERVICES / "common").rglob("*.py")
        for module, _ in _imports(path)
        if module.split(".")[:2] in (["services", d] for d in DOMAIN_SERVICES)
    ]
    assert not offenders
