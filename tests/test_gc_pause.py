"""The collector pause of large imports nests, and leaves the collector as it found it."""

from __future__ import annotations

import gc

from services.common import gc_pause


def test_pauses_nest_in_any_order_and_the_collector_comes_back() -> None:
    assert gc.isenabled()
    first, second = gc_pause.paused(), gc_pause.paused()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)  # the first import ends before the second
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off() -> None:
    gc.disable()
    try:
        with gc_pause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_only_large_work_pauses_the_collector() -> None:
    assert gc.isenabled()
    with gc_pause.paused_if(False):
        assert gc.isenabled()
    with gc_pause.paused_if(True):
        assert not gc.isenabled()
    assert gc.isenabled()
