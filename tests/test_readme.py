"""The README stays true: every setting is in its table, and the commands it names exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices

from services.catalog import SERVICES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
MAKEFILE = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")


def _env_names(name: str) -> list[str]:
    settings_class = type(SERVICES[name].settings(database_url="sqlite+aiosqlite:///:memory:"))
    prefix = settings_class.model_config.get("env_prefix", "")
    names = []
    for field_name, field in settings_class.model_fields.items():
        if field_name == "service_name":
            continue
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.append(str(alias.choices[0]))
        else:
            names.append(f"{prefix}{field_name}".upper())
    return names


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_setting_is_documented(name: str) -> None:
    prefix = f"{name.upper()}_"
    for env in _env_names(name):
        generic = "<SVC>_" + env[len(prefix) :] if env.startswith(prefix) else env
        assert f"`{env}`" in README or f"`{generic}`" in README, f"{env} is missing from the README settings table"


def test_make_targets_named_in_the_readme_exist() -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, flags=re.M))
    for target in set(re.findall(r"(?:`|^)make ([a-z][a-z-]*)", README, flags=re.M)):
        assert target in targets, f"the README names `make {target}`, which the Makefile lacks"
