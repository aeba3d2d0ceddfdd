"""Admission: one question per slot, a bounded queue in front, 429 for the rest (no server needed)."""

from __future__ import annotations

import threading
import time

import pytest

from web.admission import Admission, Overloaded


def _wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_a_full_queue_turns_the_next_question_away_at_once() -> None:
    admission = Admission(slots=1, wait=30, depth=1)
    admitted = threading.Event()

    def queued() -> None:
        with admission.slot():
            admitted.set()

    with admission.slot():  # the question in flight
        waiter = threading.Thread(target=queued)
        waiter.start()
        _wait_until(lambda: admission.waiting == 1)
        started = time.monotonic()
        with pytest.raises(Overloaded, match="1 waiting"), admission.slot():
            pass
        assert time.monotonic() - started < 5  # not after the 30 s wait: the queue was full
        assert not admitted.is_set()
    waiter.join(5)
    assert admitted.is_set() and admission.waiting == 0  # the queued question got the freed slot


def test_a_queued_question_gives_up_after_the_wait_and_leaves_the_queue() -> None:
    admission = Admission(slots=1, wait=0.05, depth=2)
    with admission.slot():
        with pytest.raises(Overloaded, match=r"within 0\.05 s"), admission.slot():
            pass
        assert admission.waiting == 0
    with admission.slot():  # the slot is free again and the queue empty
        assert admission.waiting == 0


def test_no_queue_means_busy_is_429_at_once_and_slots_are_counted() -> None:
    admission = Admission(slots=2, wait=30, depth=0)
    with admission.slot(), admission.slot(), pytest.raises(Overloaded), admission.slot():
        pass
    with admission.slot():  # both came back even though the third was refused
        pass


def test_a_question_that_fails_gives_its_slot_back() -> None:
    admission = Admission(slots=1, wait=0, depth=0)
    with pytest.raises(ZeroDivisionError), admission.slot():
        raise ZeroDivisionError
    with admission.slot():
        pass
