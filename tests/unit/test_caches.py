"""The per-process caches that make a steady-state event cheap, and their limits."""

from __future__ import annotations

from sync_core.service.context import ConfigCache, LayoutCache

from .builders import agile_layout, config, route


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_configuration_is_read_once_per_ttl() -> None:
    clock, reads = Clock(), []
    cache = ConfigCache(ttl=30, clock=clock)

    def load(iid: str):
        reads.append(iid)
        return config()

    cache.get("a", load)
    cache.get("a", load)
    clock.now = 29.9
    cache.get("a", load)
    assert reads == ["a"]
    clock.now = 30.1
    cache.get("a", load)
    assert reads == ["a", "a"]


def test_an_absent_integration_is_never_cached_so_a_new_one_works_at_once() -> None:
    cache, answers = ConfigCache(ttl=30, clock=Clock()), iter([None, config()])
    assert cache.get("new", lambda _: next(answers)) is None
    assert cache.get("new", lambda _: next(answers)) is not None


def test_forget_makes_the_next_read_fresh() -> None:
    cache, reads = ConfigCache(ttl=30, clock=Clock()), []
    cache.get("a", lambda iid: reads.append(iid) or config())
    cache.forget("a")
    cache.get("a", lambda iid: reads.append(iid) or config())
    assert reads == ["a", "a"]


class Boards:
    def __init__(self) -> None:
        self.calls = 0

    def board_layout(self, project: str, team: str, board: str, work_item_type: str):
        self.calls += 1
        return agile_layout()


def test_a_board_layout_is_fetched_once_per_route_and_ttl() -> None:
    clock, boards = Clock(), Boards()
    cache = LayoutCache(ttl=300, clock=clock)
    for _ in range(5):
        cache.get("it", route(), boards)
    assert boards.calls == 1
    cache.get("it", route(board="Other"), boards)
    assert boards.calls == 2
    clock.now = 301
    cache.get("it", route(), boards)
    assert boards.calls == 3
    cache.forget("it")
    cache.get("it", route(), boards)
    assert boards.calls == 4
