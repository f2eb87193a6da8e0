"""Seeded generator of synthetic project histories, used to train the first model before real outcomes exist.

Each synthetic project is a troubled residential project in a city's risk ledger, observed on one day, with
the eight model features as the registry and financing would report them and a label: 1 when the project is
*not* delivered within 12 months after its contract delivery date. The same seed gives the same projects,
bit for bit (numpy ``PCG64``), on any machine with the same numpy major version.

Causal story (how the world of the generator works):

1. **Developer distress** (latent, 0..1) drives everything: a distressed developer has less of its own money
   for the project and banks are less willing to put the project on the financing whitelist.
2. **Funding gap**: remaining construction cost minus own funds minus undrawn bank credit, floored at 0. The
   gap ratio is the gap over the remaining cost.
3. **Stalls** happen when money runs out: the chance that the site is stalled rises with the gap ratio, with
   distress and with time past the contract date; a stall with a larger gap lasts longer.
4. **Progress lag** against plan accumulates from the days stalled (no progress while the site is idle) and
   from the slow pace of distressed developers.
5. **Overdue days**: the observation day falls anywhere from about two years before to fifteen months after
   the contract delivery date; overdue days count the days past it.
6. **Disputes and group incidents**: buyers complain when the site stalls or the contract date passes;
   petitions and complaints come first, group incidents grow with distress and long stalls. They also add
   friction (site disruptions, meetings) that delays the work a little.
7. **Outcome**: the days still needed are the work left at the planned pace (more when behind plan), slowed
   by the funding gap and distress, plus the time to restart a stalled site (longer for long stalls and large
   gaps), plus dispute friction and a handover period, with log-normal noise. The project fails (label 1)
   when the days needed exceed the days left until 12 months after the contract delivery date; a project
   more than 365 days overdue has therefore failed by definition.

Every driver the model uses raises the chance of failure in this world, which is why the scorecard's
monotone constraint costs nothing here; with real outcomes the constraint is a policy choice (a worse
situation must never look safer) rather than a fact of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

GENERATOR = "services.risk.model.synthetic"
GENERATOR_VERSION = "1"
MAX_STALL_DAYS = 1500

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SyntheticProjects:
    """Columns of synthetic projects: features as the services report them, plus the label.

    Money is kept as integer fen (0.01 yuan) so that no float ever holds an amount of money.
    """

    seed: int
    stall_days: IntArray
    progress_lag_pct: FloatArray
    funding_gap_fen: IntArray
    funding_gap_ratio: FloatArray
    disputes_30d: IntArray
    disputes_90d: IntArray
    group_incidents_90d: IntArray
    overdue_days: IntArray
    label: IntArray

    def __len__(self) -> int:
        return int(self.label.shape[0])

    def records(self) -> list[dict[str, Any]]:
        """The projects as feature dicts with a ``label``, money as ``Decimal`` yuan (the outcome-record shape)."""
        return [
            {
                "stall_days": int(self.stall_days[i]),
                "progress_lag_pct": float(self.progress_lag_pct[i]),
                "funding_gap_amount": Decimal(int(self.funding_gap_fen[i])).scaleb(-2),
                "funding_gap_ratio": float(self.funding_gap_ratio[i]),
                "disputes_30d": int(self.disputes_30d[i]),
                "disputes_90d": int(self.disputes_90d[i]),
                "group_incidents_90d": int(self.group_incidents_90d[i]),
                "overdue_days": int(self.overdue_days[i]),
                "label": int(self.label[i]),
            }
            for i in range(len(self))
        ]


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def generate(n: int, seed: int) -> SyntheticProjects:
    """Generate ``n`` synthetic projects from ``seed`` following the causal story of this module.

    Deterministic: the same ``(n, seed)`` gives identical arrays. Raises ``ValueError`` when ``n < 1``.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.Generator(np.random.PCG64(seed))

    distress = rng.beta(2.0, 5.0, n)
    remaining_cost_fen = np.rint(rng.lognormal(np.log(2.0e10), 0.8, n)).astype(np.int64) + 100_000_00

    # Own funds and undrawn whitelist credit as shares of the remaining cost; both shrink with distress.
    own_share = rng.beta(2.0, 2.0, n) * (1.2 - distress)
    whitelisted = rng.random(n) < 0.65 - 0.4 * distress
    credit_share = np.where(whitelisted, rng.uniform(0.1, 0.6, n), 0.0)
    gap_share = np.clip(1.0 - own_share - credit_share, 0.0, 1.0)
    gap_fen = np.rint(remaining_cost_fen * gap_share).astype(np.int64)
    gap_ratio = np.round(gap_fen / remaining_cost_fen, 4)

    days_to_contract = rng.integers(-420, 901, n)
    overdue_days = np.maximum(0, -days_to_contract).astype(np.int64)

    stalled = rng.random(n) < _sigmoid(-4.2 + 3.5 * gap_ratio + 2.5 * distress + 0.003 * overdue_days)
    stall_length = 1 + np.floor(rng.gamma(1.5, 40.0 + 150.0 * gap_ratio))
    stall_days = np.where(stalled, np.minimum(stall_length, MAX_STALL_DAYS), 0).astype(np.int64)

    total_days = rng.uniform(720.0, 1080.0, n)
    buffer_days = rng.uniform(30.0, 90.0, n)
    planned_pct = np.clip(100.0 * (1.0 - (days_to_contract - buffer_days) / total_days), 0.0, 100.0)
    pace_lag = 100.0 * distress * rng.uniform(0.0, 0.25, n)
    raw_lag = 100.0 * stall_days / total_days + pace_lag + rng.normal(0.0, 1.5, n)
    lag_pct = np.round(np.clip(raw_lag, 0.0, planned_pct), 1).astype(np.float64)

    disputes_rate = 0.1 + 0.8 * stalled + stall_days / 150.0 + overdue_days / 180.0
    disputes_90d = rng.poisson(disputes_rate).astype(np.int64)
    disputes_30d = rng.binomial(disputes_90d, 0.3 + 0.3 * stalled).astype(np.int64)
    group_incidents_90d = rng.binomial(disputes_90d, 0.05 + 0.2 * distress + 0.15 * (stall_days > 90)).astype(np.int64)

    actual_pct = planned_pct - lag_pct
    work_left_days = (100.0 - actual_pct) / 100.0 * total_days
    pace_factor = 1.0 + 0.6 * gap_ratio + 0.3 * distress
    restart_days = np.where(stalled, rng.gamma(2.0, (0.3 + 1.2 * gap_ratio) * stall_days / 2.0 + 20.0), 0.0)
    friction_days = 15.0 * disputes_30d + 40.0 * group_incidents_90d
    needed_days = (work_left_days * pace_factor + restart_days + friction_days + 45.0) * rng.lognormal(0.0, 0.2, n)
    days_left = 365.0 + days_to_contract
    label = (needed_days > days_left).astype(np.int64)

    return SyntheticProjects(
        seed=seed,
        stall_days=stall_days,
        progress_lag_pct=lag_pct,
        funding_gap_fen=gap_fen,
        funding_gap_ratio=gap_ratio,
        disputes_30d=disputes_30d,
        disputes_90d=disputes_90d,
        group_incidents_90d=group_incidents_90d,
        overdue_days=overdue_days,
        label=label,
    )
