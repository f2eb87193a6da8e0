"""Where the processes a local run starts write their log lines: ``var/logs/<name>.log``.

Kept apart from ``services.run`` and ``services.demo`` so that ``make run`` can start the services before it
imports anything slow.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

LOGS = Path("var") / "logs"


def log_file(name: str) -> IO[bytes]:
    """``var/logs/<name>.log``, opened to append: where a process started by ``make run`` writes its log lines,
    so the console shows only what the run itself has to say."""
    LOGS.mkdir(parents=True, exist_ok=True)
    return open(LOGS / f"{name}.log", "ab")
