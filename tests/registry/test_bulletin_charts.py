"""The bulletin's charts drawn from two threads at once (two bulletins asked for together) keep their style."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from services.registry.bulletin import charts


def test_a_chart_drawn_while_another_finishes_keeps_its_labels_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib's style is global: a chart that ended while another was being drawn used to restore the
    defaults under it, and its labels would come out as glyph paths. The second chart waits for the first."""
    real_svg = charts._svg
    first_inside, second_saving, first_done = threading.Event(), threading.Event(), threading.Event()
    answers: dict[str, str] = {}

    def svg(figure: Any, name: str) -> str:
        if name == "tiers":  # the first chart: give the second every chance to start drawing meanwhile
            first_inside.set()
            second_saving.wait(timeout=2)
        else:  # the second chart: save only once the first has ended (and restored the style it found)
            second_saving.set()
            first_done.wait(timeout=10)
        return real_svg(figure, name)

    monkeypatch.setattr(charts, "_svg", svg)

    def first() -> None:
        answers["tiers"] = charts.tiers_by_district(["东城区"], {"red": [1], "green": [2]})
        first_done.set()

    def second() -> None:
        answers["trend"] = charts.trend(["2026-10", "2026-11"], [3, 2], [10, 12])

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_inside.wait(timeout=30)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)
    # Labels as text elements (``svg.fonttype: none``), which the page's CJK fonts draw; with matplotlib's
    # defaults they would be glyph paths, the label left only in a comment.
    assert ">停工项目</text>" in answers["trend"] and ">交付套数</text>" in answers["trend"]
    assert ">项目数</text>" in answers["tiers"]
