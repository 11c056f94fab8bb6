"""The collector pause used by searches: nested and concurrent pauses resume it exactly once."""

import gc
import threading

from omeconsole.core.gcpause import collection_paused


def test_pauses_nest_and_resume_the_collector_once():
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_in_another_thread_keeps_it_paused_until_both_end():
    inside, leave = threading.Event(), threading.Event()

    def worker():
        with collection_paused():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=worker)
    with collection_paused():
        thread.start()
        inside.wait(10)
    assert not gc.isenabled()  # the worker's pause still holds
    leave.set()
    thread.join(10)
    assert gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off():
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
