"""Activity log as the API shows it, per-user activity, the dashboard, retention."""

from __future__ import annotations

import datetime
import json

import pytest

from tests.helpers.api import create_user, flush_refusals, invalid_fields, login
from tomatoplan.rules import activity
from tomatoplan.web.state import DB


async def _insert_line(client, **fields):
    line = {"username": "JEAN", "action": "update", "entity": "mission", "entity_id": 1,
            "summary": "", "changes": None, **fields}
    at = line.pop("at", None)
    async with client.app[DB].write() as tx:
        row_id = await activity.record(tx, activity.Actor(line.pop("username"), "PC", "10.0.0.1"),
                                       line.pop("action"), **line)
        if at:
            await tx.execute("DELETE FROM activity_log WHERE id = :id", {"id": row_id})
            await tx.execute(
                "INSERT INTO activity_log (id, at, username, action, entity, entity_id, summary) "
                "VALUES (:id, :at, 'JEAN', 'update', 'mission', 1, 'old')", {"id": row_id, "at": at})
    return row_id


async def test_every_kind_of_action_leaves_a_line_with_who_where_and_what(client, admin, as_role):
    viewer = await as_role("viewer")
    await client.post("/auth/login", json={"username": "NOBODY", "hostname": "PC-X"})
    await viewer.get("/admin/users")
    created = await (await admin.post("/admin/users", json={"username": "TMP", "role": "viewer"})).json()
    await admin.put(f"/admin/users/{created['id']}", json={"role": "planner"})
    await admin.delete(f"/admin/users/{created['id']}")
    await viewer.post("/auth/logout")
    await flush_refusals(client)
    response = await admin.get("/stats/activity/recent", params={"limit": "20"})
    assert response.status == 200
    lines = await response.json()
    actions = [line["action"] for line in lines]
    for expected in ("login", "login_failed", "access_denied", "create", "update", "delete", "logout"):
        assert expected in actions, expected
    for line in lines:
        assert line["at"].endswith("Z")
        assert line["username"]
        assert line["address"] == "127.0.0.1" or line["username"] == "SYSTEM"
    update = next(line for line in lines if line["action"] == "update")
    assert update["changes"] == {"before": {"role": "viewer"}, "after": {"role": "planner"}}
    assert update["entity"] == "user" and update["entity_id"] == created["id"]
    failed = next(line for line in lines if line["action"] == "login_failed")
    assert (failed["username"], failed["hostname"]) == ("NOBODY", "PC-X")


async def test_recent_activity_filters_and_pages(client, admin):
    for index in range(5):
        await _insert_line(client, entity_id=index, summary=f"n{index}")
    await _insert_line(client, username="MARIE", action="create", entity="voyage", entity_id=9)
    only_jean = await admin.get("/stats/activity/recent",
                                params={"username": "jean", "entity": "mission", "limit": "2", "offset": "1"})
    assert only_jean.status == 200
    assert only_jean.headers["X-Total-Count"] == "5"
    assert [line["summary"] for line in await only_jean.json()] == ["n3", "n2"]
    creates = await (await admin.get("/stats/activity/recent",
                                     params={"action": "create", "entity": "voyage"})).json()
    assert [(line["username"], line["entity_id"]) for line in creates] == [("MARIE", 9)]
    one = await (await admin.get("/stats/activity/recent", params={"entity_id": "3"})).json()
    assert [line["summary"] for line in one] == ["n3"]


async def test_recent_activity_since(client, admin):
    await _insert_line(client, at="2020-01-01T10:00:00.000Z")
    await _insert_line(client, summary="new")
    since_day = await admin.get("/stats/activity/recent", params={"depuis": "2021-01-01"})
    assert "2020-01-01T10:00:00.000Z" not in [line["at"] for line in await since_day.json()]
    since_instant = await admin.get("/stats/activity/recent",
                                    params={"depuis": "2020-01-01T09:00:00Z", "entity": "mission"})
    assert since_instant.headers["X-Total-Count"] == "2"


async def test_recent_activity_until_a_day_included_or_an_instant(client, admin):
    for at in ("2020-01-01T10:00:00.000Z", "2020-01-02T23:59:59.999Z", "2020-01-03T00:00:00.000Z"):
        await _insert_line(client, at=at)
    await _insert_line(client, summary="new")

    async def times(**params) -> list:
        response = await admin.get("/stats/activity/recent", params={"entity": "mission", **params})
        assert response.status == 200, await response.text()
        return [line["at"] for line in await response.json()]

    assert await times(jusqu_a="2020-01-02") == ["2020-01-02T23:59:59.999Z", "2020-01-01T10:00:00.000Z"]
    assert await times(depuis="2020-01-02", jusqu_a="2020-01-02") == ["2020-01-02T23:59:59.999Z"]
    assert await times(jusqu_a="2020-01-01T10:00:00Z") == ["2020-01-01T10:00:00.000Z"]  # included
    assert await times(jusqu_a="2020-01-01T09:59:59.999Z") == []
    assert await times(jusqu_a="2020-01-01T11:00:00+01:00") == ["2020-01-01T10:00:00.000Z"]
    assert await times(depuis="2020-01-01T10:00:00Z", jusqu_a="2020-01-01T10:00:00.000Z") == [
        "2020-01-01T10:00:00.000Z"]
    total = await admin.get("/stats/activity/recent",
                            params={"depuis": "2020-01-02", "jusqu_a": "2020-12-31"})
    assert total.headers["X-Total-Count"] == "2"
    document = await (await client.get("/openapi.json")).json()
    described = {parameter["name"]: parameter for parameter in
                 document["paths"]["/stats/activity/recent"]["get"]["parameters"]}
    assert "inclus" in described["jusqu_a"]["description"]


@pytest.mark.parametrize("params", [
    {"depuis": "2020-01-03", "jusqu_a": "2020-01-02"},
    {"depuis": "2020-01-01T12:00:00+02:00", "jusqu_a": "2020-01-01T09:30:00Z"},  # 10:00 UTC
    {"depuis": "2020-01-02T00:00:00Z", "jusqu_a": "2020-01-01"},
])
async def test_a_period_ending_before_it_starts_is_refused_next_to_jusqu_a(client, admin, params):
    response = await admin.get("/stats/activity/recent", params=params)
    assert await invalid_fields(response) == {"jusqu_a": "out_of_range"}
    detail = (await response.json())["errors"][0]["detail"]
    assert detail == "Ne peut pas précéder le début de la période (depuis)."


@pytest.mark.parametrize("params", [{"depuis": "hier"}, {"depuis": "2024-02-30"}, {"depuis": ""},
                                    {"jusqu_a": "demain"}, {"jusqu_a": "2024-02-30"},
                                    {"jusqu_a": "3000-01-01"}, {"jusqu_a": "2024-01-15T10:00:00.1234"},
                                    {"depuis": "2024-01-15T71:53:18"}, {"depuis": "2024-01-15T10:00:00.1234"},
                                    {"limit": "0"},
                                    {"limit": "x"}, {"entity_id": "-1"}, {"colour": "red"}])
async def test_recent_activity_refuses_bad_parameters(client, admin, params):
    response = await admin.get("/stats/activity/recent", params=params)
    assert response.status == 422
    assert (await response.json())["errors"]


@pytest.mark.parametrize("role", ["viewer", "planner", "driver_admin", "finance"])
async def test_activity_of_everyone_needs_the_history_permission(client, as_role, role):
    api = await as_role(role)
    assert (await api.get("/stats/activity/recent")).status == 403
    assert (await api.get("/stats/activity/by-user")).status == 403


async def test_finance_fields_of_a_diff_are_shown_only_to_finance_readers(client, admin, as_role):
    await _insert_line(client, changes={"before": {"prix": "10.00", "destination": "Lyon"},
                                        "after": {"prix": "12.00", "destination": "Paris"}})
    advanced = await as_role("planner_advanced")
    seen = (await (await advanced.get("/stats/activity/recent", params={"entity": "mission"})).json())[0]
    assert seen["changes"]["after"] == {"prix": "12.00", "destination": "Paris"}
    # Of the roles reading history, planner_advanced and admin both read finance: check the
    # filter itself for a reader who does not.
    from tomatoplan.rules.activity import line_out as activity_out

    line = {"id": 1, "at": "t", "username": "U", "hostname": "", "address": "", "action": "update",
            "entity": "mission", "entity_id": 1, "summary": "",
            "changes": json.dumps({"before": {"prix": "1.00", "statut": "planifie"},
                                   "after": {"prix": "2.00", "statut": "termine"}})}
    hidden = activity_out(line, can_read_finance=False)
    assert hidden["changes"] == {"before": {"statut": "planifie"}, "after": {"statut": "termine"}}


async def test_activity_by_user_counts_each_action_over_the_period(client, admin):
    await create_user(client, "JEAN", "planner")
    for _ in range(2):
        api = await login(client, "JEAN")
        await api.post("/auth/logout")
    await client.post("/auth/login", json={"username": "NOBODY"})
    await flush_refusals(client)
    response = await admin.get("/stats/activity/by-user")
    assert response.status == 200
    rows = {row["username"]: row for row in await response.json()}
    assert rows["JEAN"]["actions"] == {"login": 2, "logout": 2}
    assert rows["JEAN"]["total"] == 4
    assert rows["NOBODY"]["actions"] == {"login_failed": 1}
    past = await admin.get("/stats/activity/by-user", params={"depuis": "2020-01-01",
                                                              "jusqu_a": "2020-12-31"})
    assert await past.json() == []
    backwards = await admin.get("/stats/activity/by-user", params={"depuis": "2024-02-01",
                                                                   "jusqu_a": "2024-01-01"})
    assert backwards.status == 422
    # A start after today alone is a period from that day, not an inverted one.
    future = await admin.get("/stats/activity/by-user", params={"depuis": "2999-01-01"})
    assert future.status == 200 and await future.json() == []


async def _seed_planning(client, day: datetime.date):
    """A known data set: 3 chauffeurs (1 inactive, 1 absent), missions today and this week."""
    other_day = day - datetime.timedelta(days=day.weekday())  # monday of the same week
    if other_day == day:
        other_day = day + datetime.timedelta(days=1)
    now = "2024-01-01T00:00:00.000Z"
    stamp = {"now": now, "by": "TEST"}
    async with client.app[DB].write() as tx:
        for nom, actif in (("MARTIN", 1), ("BERNARD", 1), ("PETIT", 0)):
            await tx.execute(
                "INSERT INTO chauffeurs (nom, prenom, actif, created_at, created_by, updated_at, updated_by) "
                "VALUES (:nom, 'X', :actif, :now, :by, :now, :by)", {"nom": nom, "actif": actif, **stamp})
        await tx.execute(
            "INSERT INTO absences (chauffeur_id, date_debut, date_fin, motif, created_at, created_by, "
            "updated_at, updated_by) VALUES (2, :d, :d, 'conge', :now, :by, :now, :by)",
            {"d": day.isoformat(), **stamp})
        soon = (day + datetime.timedelta(days=10)).isoformat()
        late = (day + datetime.timedelta(days=90)).isoformat()
        for chauffeur, code, expiry in ((1, "FCO", soon), (1, "ADR", late), (3, "FIMO", soon)):
            await tx.execute(
                "INSERT INTO chauffeur_competences (chauffeur_id, skill_code, date_expiration, created_at, "
                "created_by, updated_at, updated_by) VALUES (:c, :s, :e, :now, :by, :now, :by)",
                {"c": chauffeur, "s": code, "e": expiry, **stamp})
        await tx.execute(
            "INSERT INTO voyages (code, jours, actif, created_at, created_by, updated_at, updated_by) "
            "VALUES ('L1', 127, 1, :now, :by, :now, :by), ('L2', 127, 0, :now, :by, :now, :by)", stamp)
        missions = [(day, "planifie", 1), (day, "planifie", None), (day, "en_cours", 1),
                    (day, "annule", None), (other_day, "termine", 1),
                    (day + datetime.timedelta(days=30), "planifie", None)]
        for date_mission, statut, chauffeur in missions:
            await tx.execute(
                "INSERT INTO missions (date_mission, destination, statut, chauffeur_id, created_at, "
                "created_by, updated_at, updated_by) VALUES (:d, 'Lyon', :s, :c, :now, :by, :now, :by)",
                {"d": date_mission.isoformat(), "s": statut, "c": chauffeur, **stamp})


async def test_dashboard_figures_on_a_known_data_set(client, as_role):
    day = datetime.date(2024, 1, 17)  # a Wednesday
    await _seed_planning(client, day)
    async with client.app[DB].write() as tx:
        await activity.record(tx, activity.SYSTEM, "backup", entity="backup", summary="backup_x.db")
    viewer = await as_role("viewer")
    response = await viewer.get("/stats/dashboard", params={"date": day.isoformat()})
    assert response.status == 200
    body = await response.json()
    assert body["date"] == "2024-01-17"
    assert body["semaine"] == {"debut": "2024-01-15", "fin": "2024-01-21"}
    assert body["missions"]["aujourd_hui"] == {"planifie": 2, "en_cours": 1, "termine": 0,
                                               "annule": 1, "total": 4}
    assert body["missions"]["semaine"]["total"] == 5
    assert body["missions"]["semaine"]["termine"] == 1
    assert body["missions"]["non_affectees_aujourd_hui"] == 1
    assert body["chauffeurs"] == {"actifs": 2, "absents_aujourd_hui": 1, "disponibles_aujourd_hui": 1}
    assert body["competences_expirant"]["total"] == 1
    assert [(c["nom"], c["skill_code"]) for c in body["competences_expirant"]["liste"]] == [("MARTIN", "FCO")]
    assert body["voyages_actifs"] == 1
    assert body["utilisateurs_actifs"] == 2
    assert body["sessions_actives"] == 1
    assert body["base"]["taille_octets"] > 0
    assert body["derniere_sauvegarde"]["ok"] is True
    assert body["derniere_sauvegarde"]["age_hours"] == 0
    assert body["uptime_seconds"] >= 0 and body["version"]


async def test_dashboard_needs_a_token_and_a_valid_date(client, admin):
    assert (await client.get("/stats/dashboard")).status == 401
    assert (await admin.get("/stats/dashboard", params={"date": "2024-13-01"})).status == 422
    empty = await (await admin.get("/stats/dashboard")).json()
    assert empty["missions"]["aujourd_hui"]["total"] == 0
    assert empty["derniere_sauvegarde"] is None


async def test_retention_purges_only_old_lines(client):
    await _insert_line(client, at="2020-01-01T00:00:00.000Z")
    recent = await _insert_line(client, summary="recent")
    db = client.app[DB]
    assert await activity.purge_older_than(db, 0) == 0
    assert await activity.purge_older_than(db, 30) == 1
    async with db.read() as session:
        ids = [row["id"] for row in await session.fetch_all("SELECT id FROM activity_log")]
    assert recent in ids and len(ids) >= 2


async def test_the_activity_log_cannot_be_edited(client):
    import sqlite3

    row_id = await _insert_line(client)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with client.app[DB].write() as tx:
            await tx.execute("UPDATE activity_log SET username = 'X' WHERE id = :id", {"id": row_id})


@pytest.mark.parametrize(("query", "params"), [
    ("missions_by_statut_between", {"debut": "2024-01-15", "fin": "2024-01-21"}),
    ("unassigned_missions_on", {"jour": "2024-01-15"}),
    ("expiring_competences", {"debut": "2024-01-15", "fin": "2024-02-15", "limit": 50}),
    ("absent_chauffeurs_on", {"jour": "2024-01-15"}),
])
async def test_dashboard_queries_read_indexes_not_whole_tables(client, query, params):
    from tomatoplan.base import sqlfiles

    sql = getattr(sqlfiles.load("stats"), query)
    async with client.app[DB].read() as session:
        plan = " | ".join(row["detail"] for row in
                          await session.fetch_all("EXPLAIN QUERY PLAN " + sql, params))
    assert "SCAN missions" not in plan, plan
    assert "SCAN cc" not in plan and "SCAN chauffeur_competences" not in plan, plan
    if "missions" in sql:
        assert "COVERING INDEX missions_by_date_statut" in plan, plan
