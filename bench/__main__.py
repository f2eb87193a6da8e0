"""``make bench``: run every benchmark in turn (each reports ratios to a baseline measured in the same run)."""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = [
    "bench.registry_reads",
    "bench.registry_reports",
    "bench.bulletin_demo",
    "bench.risk_scoring",
    "bench.financing_dispatch",
    "bench.portfolio",
    "bench.allocation_advice",
    "bench.imports",
]


def main() -> None:
    only = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    # Options (``--reuse``, say) go to the benchmarks named: dropping them once re-seeded a shared database.
    options = [arg for arg in sys.argv[1:] if arg.startswith("-")]
    for module in BENCHMARKS:
        if only and module.rsplit(".", 1)[-1] not in only:
            continue
        print(f"== {module}", flush=True)
        sys.argv = [module, *options]
        runpy.run_module(module, run_name="__main__")


if __name__ == "__main__":
    main()
