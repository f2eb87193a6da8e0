"""Fixtures shared by every test: databases on SQLite and PostgreSQL, app runners, and a faked clock.

``HANDOVER_TEST_INSTANT`` (an RFC 3339 instant) starts every test at that instant, the clock ticking from
there (time-machine), so CI can run the suite on the days that break date arithmetic: a month's last day late
in the evening, a city day that is already tomorrow in UTC, a year end, 29 February. Collection runs on the real
clock, so a module that reads the day at import time disagrees with its own tests and fails.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine

from services.common import clock
from tests.support import databases

os.environ.setdefault("HANDOVER_WEBHOOK_ALLOW_PRIVATE", "true")

INSTANT_VARIABLE = "HANDOVER_TEST_INSTANT"


def faked_instant() -> datetime | None:
    """The instant every test starts at, from ``HANDOVER_TEST_INSTANT``, or None for the real clock."""
    value = os.environ.get(INSTANT_VARIABLE)
    if not value:
        return None
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise pytest.UsageError(f"{INSTANT_VARIABLE} needs a zone, such as 2026-11-30T23:59:00+08:00")
    return instant


def pytest_report_header(config: pytest.Config) -> str:
    instant = faked_instant()
    started = f"each test starts at {instant.isoformat()}" if instant else "real"
    return f"clock: {started}; machine time zone: {time.tzname[0]} (TZ={os.environ.get('TZ', 'unset')})"


@pytest.fixture(autouse=True)
def _clock_at_the_faked_instant() -> Iterator[None]:
    instant = faked_instant()
    if instant is None:
        yield
        return
    with time_machine.travel(instant, tick=True):
        yield


FUZZ_SEED = 20251125


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test marked ``fuzz`` runs with the global ``random`` seeded alike on every run.

    Schemathesis draws some of its choices from the global ``random``; pytest-randomly reseeds it from the
    run's seed just before each test, so the cases a fuzz test tried would change from run to run (and, before
    pytest-randomly, with whatever tests ran first). The run's order stays random; the cases do not.
    """
    if item.get_closest_marker("fuzz") is None:
        return (yield)
    reset = getattr(item.config.option, "randomly_reset_seed", False)
    item.config.option.randomly_reset_seed = False
    random.seed(FUZZ_SEED)
    try:
        return (yield)
    finally:
        item.config.option.randomly_reset_seed = reset


@pytest.fixture
def today(_clock_at_the_faked_instant: None) -> date:
    """The city's day when the test starts: what "today" means to the services it talks to."""
    return clock.today()


DatabaseFactory = Callable[[str, Path], str]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_factory(backend: str, tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Makes a fresh migrated database of the test's backend for a service: ``factory(service, migrations)``."""
    created: list[str] = []

    def factory(service: str, migrations_dir: Path) -> str:
        if backend == "sqlite":
            return databases.sqlite_database(service, migrations_dir, tmp_path)
        url, name = databases.postgres_database(service, migrations_dir)
        created.append(name)
        return url

    yield factory
    for name in created:
        databases.drop_postgres_database(name)


@pytest.fixture
def postgres_factory(tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Like ``database_factory`` but always PostgreSQL (for concurrency tests)."""
    created: list[str] = []

    def factory(service: str, migrations_dir: Path) -> str:
        url, name = databases.postgres_database(service, migrations_dir)
        created.append(name)
        return url

    yield factory
    for name in created:
        databases.drop_postgres_database(name)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    databases.drop_templates()
