"""The services of Handover, by name: how to build each one's settings and app."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    module: str
    settings_class: str
    app_factory: str

    @property
    def migrations_dir(self) -> Path:
        return Path(__file__).parent / self.name / "migrations"

    def metadata(self) -> Any:
        return importlib.import_module(f"services.{self.name}.models").Base.metadata

    def settings(self, **overrides: Any) -> Any:
        return getattr(importlib.import_module(f"services.{self.name}.settings"), self.settings_class)(**overrides)

    def app(self, settings: Any = None) -> Any:
        factory = getattr(importlib.import_module(f"services.{self.name}.app"), self.app_factory)
        return factory(settings or self.settings())


SERVICES: dict[str, ServiceEntry] = {
    "registry": ServiceEntry("registry", "services.registry", "RegistrySettings", "create_registry_app"),
    "risk": ServiceEntry("risk", "services.risk", "RiskSettings", "create_risk_app"),
    "financing": ServiceEntry("financing", "services.financing", "FinancingSettings", "create_financing_app"),
}
