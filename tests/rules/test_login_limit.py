"""The failed-login limit: guessing names is stopped, a misconfigured PC locks out nobody."""

from __future__ import annotations

import pytest

from tomatoplan.rules.login_limit import LoginLimiter, source_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock) -> LoginLimiter:
    return LoginLimiter(max_failures=3, window_seconds=60, clock=clock)


def test_different_unknown_names_from_one_address_block_that_address(limiter):
    for name in ("A", "B", "C"):
        assert limiter.retry_after("10.0.0.1", name) == (0, "")
        limiter.failed("10.0.0.1", name)
    assert limiter.retry_after("10.0.0.1", "D") == (60, "address")
    assert limiter.retry_after("10.0.0.2", "D") == (0, "")


def test_a_success_of_another_name_does_not_reset_the_count_of_the_address(limiter):
    limiter.failed("10.0.0.1", "A")
    limiter.failed("10.0.0.1", "B")
    limiter.succeeded("10.0.0.1", "VIEWER")
    limiter.failed("10.0.0.1", "C")
    assert limiter.retry_after("10.0.0.1", "D")[1] == "address"


def test_one_wrong_name_retried_in_a_loop_blocks_that_name_only(limiter):
    for _ in range(50):
        limiter.failed("10.0.0.1", "J.DUPONT-TYPO")
    assert limiter.retry_after("10.0.0.1", "J.DUPONT-TYPO") == (60, "name")
    assert limiter.retry_after("10.0.0.1", "JEAN.DUPONT") == (0, "")  # a colleague, same PC/NAT


def test_a_name_failing_from_many_addresses_is_blocked_everywhere(limiter):
    for number in range(3):
        limiter.failed(f"10.0.0.{number}", "DEPART")
    assert limiter.retry_after("10.9.9.9", "DEPART") == (60, "name")


def test_names_that_logged_in_from_a_blocked_address_still_may(limiter):
    limiter.succeeded("10.0.0.1", "ADMIN")
    for name in ("A", "B", "C"):
        limiter.failed("10.0.0.1", name)
    assert limiter.retry_after("10.0.0.1", "ADMIN") == (0, "")
    assert limiter.retry_after("10.0.0.1", "NOUVEAU")[1] == "address"
    assert limiter.retry_after("10.0.0.2", "ADMIN") == (0, "")


def test_the_window_slides(limiter, clock):
    limiter.failed("10.0.0.1", "A")
    clock.now += 30
    limiter.failed("10.0.0.1", "B")
    limiter.failed("10.0.0.1", "C")
    assert limiter.retry_after("10.0.0.1", "D") == (30, "address")
    clock.now += 31
    assert limiter.retry_after("10.0.0.1", "D") == (0, "")


def test_ipv6_addresses_of_one_network_count_as_one_source(limiter):
    for number, name in enumerate(("A", "B", "C")):
        limiter.failed(f"2001:db8::{number + 1}", name)
    assert limiter.retry_after("2001:db8::ffff", "D")[1] == "address"
    assert limiter.retry_after("2001:db8:0:1::1", "D") == (0, "")
    assert source_of("::ffff:10.0.0.1") == "10.0.0.1"


def test_memory_is_bounded_the_oldest_forgotten_first(clock):
    limiter = LoginLimiter(max_failures=3, window_seconds=60, clock=clock, max_entries=100)
    for number in range(1000):
        limiter.failed(f"10.0.{number // 250}.{number % 250}", f"N{number}")
    assert len(limiter._by_source) == 100 and len(limiter._by_name) == 100
    for number in range(1000):
        limiter.failed("10.1.1.1", f"M{number}")
    assert len(limiter._by_source["10.1.1.1"]) == 6  # only the newest can block
    assert limiter.retry_after("10.1.1.1", "Z")[1] == "address"
