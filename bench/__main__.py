"""``make bench``: run every benchmark in turn (each reports ratios to a baseline measured in the same run)."""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = [
    "bench.registry_reads",
    "bench.registry_reports",
    "bench.risk_scoring",
    "bench.financing_dispatch",
    "bench.portfolio",
    "bench.allocation_advice",
    "bench.imports",
]


def main() -> None:
    only = sys.argv[1:]
    for module in BENCHMARKS:
        if only and module.rsplit(".", 1)[-1] not in only:
            continue
        print(f"== {module}", flush=True)
        sys.argv = [module]
        runpy.run_module(module, run_name="__main__")


if __name__ == "__main__":
    main()
