"""Refusals reach the activity log in batches: the first of a source and cause as its own
line, the repeats as one counted line, never a write per refused request."""

from __future__ import annotations

import pytest

from tomatoplan.rules.activity import Actor
from tomatoplan.rules.denials import Denials
from tomatoplan.web.state import DB


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def lines(client) -> list:
    async with client.app[DB].read() as session:
        return await session.fetch_all(
            "SELECT username, address, action, summary FROM activity_log "
            "WHERE action IN ('access_denied', 'login_failed') ORDER BY id")


@pytest.fixture
def clock() -> Clock:
    return Clock()


ANON = Actor("(anonyme)", "", "10.0.0.5")


async def test_the_first_refusal_is_written_at_the_next_flush_and_the_repeats_at_the_end(client,
                                                                                          clock):
    denials = Denials(window=60, clock=clock)
    for _ in range(500):
        denials.note(ANON, "invalid_token", "Accès refusé : GET /missions (invalid_token)")
    assert await denials.flush(client.app[DB]) == 1
    assert await lines(client) == [{"username": "(anonyme)", "address": "10.0.0.5",
                                    "action": "access_denied",
                                    "summary": "Accès refusé : GET /missions (invalid_token)"}]
    clock.now += 30
    assert await denials.flush(client.app[DB]) == 0  # nothing new until the window ends
    clock.now += 31
    assert await denials.flush(client.app[DB]) == 1
    assert (await lines(client))[-1]["summary"] == \
        "Accès refusé : GET /missions (invalid_token) — répété 499 fois en 61 s"
    assert denials.pending() == 0


async def test_sources_and_causes_are_tallied_apart(client, clock):
    denials = Denials(window=60, clock=clock)
    denials.note(ANON, "invalid_token", "a")
    denials.note(Actor("(anonyme)", "", "10.0.0.6"), "invalid_token", "b")
    denials.note(ANON, "network_not_allowed", "c")
    denials.note(Actor("VIEWER", "", "10.0.0.5", 7), "forbidden", "d")
    denials.note(Actor("PLANNER", "", "10.0.0.5", 8), "forbidden", "e")
    assert await denials.flush(client.app[DB]) == 5


async def test_failed_logins_of_many_names_are_one_tally_naming_them(client, clock):
    denials = Denials(window=60, clock=clock)
    for number in range(15):
        denials.note(Actor(f"NOM{number:02d}", "", "10.0.0.5"), "login_refused",
                     f"Échec de connexion de NOM{number:02d}", action="login_failed", entity="user")
    await denials.flush(client.app[DB], everything=True)
    first, repeats = await lines(client)
    assert first["username"] == "NOM00"
    assert repeats["username"] == "(plusieurs)"
    assert "répété 14 fois" in repeats["summary"]
    assert "(noms : NOM00, NOM01, NOM02, NOM03, NOM04, NOM05, NOM06, NOM07, NOM08, NOM09, …)" \
        in repeats["summary"]


async def test_a_flush_writes_a_bounded_number_of_lines_and_the_tallies_are_bounded(client, clock):
    denials = Denials(window=60, max_lines=10, max_tallies=25, clock=clock)
    for number in range(1000):
        denials.note(Actor("(anonyme)", "", f"10.0.{number // 250}.{number % 250}"),
                     "invalid_token", "x")
    assert denials.pending() == 25
    assert [await denials.flush(client.app[DB]) for _ in range(4)] == [10, 10, 6, 0]
    summaries = [line["summary"] for line in await lines(client)]
    assert summaries.count("x") == 25
    assert "975 refus de plus, non détaillés (trop de sources à la fois)" in summaries


async def test_a_failed_write_keeps_everything_for_the_next_flush(client, clock):
    denials = Denials(window=60, clock=clock)
    denials.note(ANON, "invalid_token", "x")
    denials.note(ANON, "invalid_token", "x")

    class Broken:
        def write(self):
            raise OSError("disque plein")

    with pytest.raises(OSError):
        await denials.flush(Broken(), everything=True)
    assert await denials.flush(client.app[DB], everything=True) == 2
