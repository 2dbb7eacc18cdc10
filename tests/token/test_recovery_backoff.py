"""The spacing of module re-initialisations while a fault lasts (a clock the test moves)."""

from __future__ import annotations

from xcapki.token._link import RecoveryBackoff


class _Clock:
    def __init__(self) -> None:
        self.now = 1024.0

    def __call__(self) -> float:
        return self.now


def _attempt_times(
    backoff: RecoveryBackoff, clock: _Clock, until: float, step: float
) -> list[float]:
    start = clock.now
    times: list[float] = []
    while clock.now - start <= until:
        if backoff.ready():
            backoff.attempted()
            times.append(round(clock.now - start, 2))
        clock.now += step
    return times


def test_attempts_start_at_once_then_double_up_to_the_longest_delay() -> None:
    clock = _Clock()
    backoff = RecoveryBackoff(first=0.25, longest=2.0, quiet=10.0, clock=clock)
    assert _attempt_times(backoff, clock, until=8.0, step=0.125) == [
        0.0, 0.25, 0.75, 1.75, 3.75, 5.75, 7.75,
    ]  # fmt: skip


def test_after_a_quiet_spell_the_next_attempt_is_at_once_again() -> None:
    clock = _Clock()
    backoff = RecoveryBackoff(first=0.25, longest=2.0, quiet=10.0, clock=clock)
    for _ in range(5):
        backoff.attempted()
        clock.now += 0.01
    assert not backoff.ready()
    clock.now += 10.0
    assert backoff.ready()
    backoff.attempted()
    clock.now += 0.25
    assert backoff.ready(), "the delay starts from the first step again"
