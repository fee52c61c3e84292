"""The collector pause restores exactly the state it found, nested or in threads."""

from __future__ import annotations

import gc
import threading

from balance_rules import collector


def test_paused_and_restored() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # nested: the inner end does not switch it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_error() -> None:
    try:
        with collector.paused():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.isenabled()


def test_a_program_that_keeps_it_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_threads_end_with_it_on() -> None:
    inside = threading.Barrier(2)
    leave = threading.Event()

    def work() -> None:
        with collector.paused():
            inside.wait()
            leave.wait()

    first = threading.Thread(target=work)
    first.start()
    with collector.paused():
        inside.wait()
        leave.set()  # the other thread ends its pause while this one runs
        first.join()
        assert not gc.isenabled()
    assert gc.isenabled()
