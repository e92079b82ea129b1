"""/admin/server-log: the server log's last lines for administrators, to follow it live."""

from __future__ import annotations

import json
import logging

import pytest

from tests.helpers.api import invalid_fields, problem
from tests.helpers.live import served

said = logging.getLogger("tomatoplan.test_logs")


async def _lines(api, **params) -> dict:
    response = await api.get("/admin/server-log", params={key: str(value) for key, value in params.items()})
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    return await response.json()


async def test_an_admin_reads_the_last_lines_then_only_the_new_ones(client, admin):
    said.warning("disque presque plein sur <b>SRV-01</b>")
    first = await _lines(admin)
    line = first["lignes"][-1]
    assert line == {"id": first["dernier"], "at": line["at"], "niveau": "WARNING",
                    "source": "tomatoplan.test_logs", "message": "disque presque plein sur <b>SRV-01</b>"}
    assert line["at"].endswith("Z")
    assert await _lines(admin, apres=first["dernier"]) == {"lignes": [], "dernier": first["dernier"]}
    said.error("sauvegarde échouée")
    said.warning("reprise")
    following = await _lines(admin, apres=first["dernier"])
    assert [line["message"] for line in following["lignes"]] == ["sauvegarde échouée", "reprise"]
    assert following["dernier"] == first["dernier"] + 2
    newest = await _lines(admin, apres=first["dernier"], limit=1)
    assert [line["message"] for line in newest["lignes"]] == ["reprise"]
    # A page still holding the ids of before a restart gets the end of the log again.
    again = await _lines(admin, apres=following["dernier"] + 1000)
    assert again["lignes"][-1]["message"] == "reprise" and again["dernier"] == following["dernier"]


async def test_niveau_keeps_the_lines_of_that_level_and_above(client, admin, caplog):
    caplog.set_level(logging.INFO, logger=said.name)
    said.info("connexion de JEAN")
    said.warning("lent")
    said.error("panne")
    start = (await _lines(admin))["dernier"] - 3
    everything = await _lines(admin, apres=start)
    assert [line["niveau"] for line in everything["lignes"]] == ["INFO", "WARNING", "ERROR"]
    warnings = await _lines(admin, apres=start, niveau="WARNING")
    assert [line["message"] for line in warnings["lignes"]] == ["lent", "panne"]
    assert warnings["dernier"] == everything["dernier"]  # the next call starts after every line


async def test_the_log_of_before_a_restart_is_still_shown(make_client, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "server.log").write_text(
        "2024-01-15 06:00:00,125 INFO tomatoplan.app: listening on http://0.0.0.0:8000\n"
        "2024-01-15 06:10:00,000 ERROR aiohttp.server: Error handling request\n"
        "Traceback (most recent call last):\n"
        "RuntimeError: boom\n", encoding="utf-8")
    client = await make_client(log_dir=str(folder))
    response = await client.post("/auth/login", json={"username": "ADMIN"})
    token = (await response.json())["access_token"]
    answer = await client.get("/admin/server-log", headers={"Authorization": f"Bearer {token}"})
    lines = (await answer.json())["lignes"]
    assert [(line["id"], line["niveau"], line["source"]) for line in lines[:2]] == [
        (1, "INFO", "tomatoplan.app"), (2, "ERROR", "aiohttp.server")]
    assert lines[1]["message"] == ("Error handling request\nTraceback (most recent call last):\n"
                                   "RuntimeError: boom")


async def test_the_server_log_is_for_administrators_only(client, as_role):
    await problem(await client.get("/admin/server-log"), 401, "not_authenticated")
    planner = await as_role("planner")
    await problem(await planner.get("/admin/server-log"), 403, "forbidden")


@pytest.mark.parametrize(("params", "field"), [
    ({"apres": "-1"}, "apres"), ({"apres": "dernier"}, "apres"), ({"apres": "9223372036854775808"}, "apres"),
    ({"limit": "0"}, "limit"), ({"limit": "1001"}, "limit"), ({"limit": "x"}, "limit"),
    ({"niveau": "BAVARD"}, "niveau"), ({"niveau": ""}, "niveau"),
    ({"colour": "red"}, "colour"), ([("apres", "1"), ("apres", "2")], "apres"),
])
async def test_bad_parameters_are_refused_in_french(client, admin, params, field):
    response = await admin.get("/admin/server-log", params=params)
    assert field in await invalid_fields(response)
    body = await response.json()
    detail = next(error["detail"] for error in body["errors"] if error["field"] == field)
    assert any(word in detail for word in ("attendu", "Au moins", "Au plus", "inconnu", "répété")), detail


async def test_polling_the_server_log_adds_nothing_to_it(config, caplog):
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    async with served(config) as live:
        token = await live.token()
        for _ in range(3):
            assert (await live.get("/admin/server-log", token))[0] == 200
        assert (await live.get("/missions"))[0] == 401
        assert (await live.get("/admin/server-log?niveau=tout", token))[0] == 422
        status, body = await live.get("/admin/server-log", token)
    assert status == 200
    messages = [line["message"] for line in json.loads(body)["lignes"]]
    assert any('"GET /missions HTTP/1.1" 401' in message for message in messages), messages
    polls = [message for message in messages if "/admin/server-log" in message]
    assert len(polls) == 1 and '" 422 ' in polls[0], polls  # only the refused one
