"""An id names one record for ever: the history, the live feed and the activity log read by id,
so a deleted record's id is never given to a new one."""

from __future__ import annotations

import pytest

from tests.helpers.planning import (
    MONDAY,
    add_indisponibilite,
    make_chauffeur,
    make_mission,
    make_vehicule,
    make_voyage,
)


async def _new_absence(admin, chauffeur_id: int) -> dict:
    response = await admin.post(f"/chauffeurs/{chauffeur_id}/absences",
                                json={"date_debut": MONDAY, "date_fin": MONDAY})
    assert response.status == 201
    return await response.json()


async def _new_competence(admin, chauffeur_id: int) -> dict:
    response = await admin.post(f"/chauffeurs/{chauffeur_id}/competences", json={"code": "ADR"})
    assert response.status == 201
    return await response.json()


async def _new_skill(admin, code: str = "HAYON") -> dict:
    response = await admin.post("/competences", json={"code": code})
    assert response.status == 201
    return await response.json()


@pytest.mark.parametrize("kind", ["mission", "voyage", "chauffeur", "absence", "competence", "skill",
                                  "vehicule", "indisponibilite"])
async def test_a_deleted_records_id_is_never_given_again(admin, kind):
    chauffeur = await make_chauffeur(admin)
    await make_vehicule(admin)
    make, path = {
        "mission": (lambda: make_mission(admin), "/missions/{id}"),
        "voyage": (lambda: make_voyage(admin, code="LIGNE"), "/voyages/{id}"),
        "chauffeur": (lambda: make_chauffeur(admin, nom="NEUF"), "/chauffeurs/{id}"),
        "absence": (lambda: _new_absence(admin, chauffeur["id"]),
                    f"/chauffeurs/{chauffeur['id']}/absences/{{id}}"),
        "competence": (lambda: _new_competence(admin, chauffeur["id"]),
                       f"/chauffeurs/{chauffeur['id']}/competences/{{id}}"),
        "skill": (lambda: _new_skill(admin), "/competences/{id}"),
        "vehicule": (lambda: make_vehicule(admin, immatriculation="EF-456-GH"), "/vehicules/{id}"),
        "indisponibilite": (lambda: add_indisponibilite(admin, 1, MONDAY, MONDAY),
                            "/vehicules/1/indisponibilites/{id}"),
    }[kind]
    first = await make()
    assert (await admin.delete(path.format(id=first["id"]))).status == 204
    second = await make()
    assert second["id"] > first["id"]
    if kind in ("mission", "voyage", "chauffeur", "vehicule"):
        history = await (await admin.get(path.format(id=second["id"]) + "/history")).json()
        assert [line["action"] for line in history] == ["create"]


async def test_a_purged_sessions_id_is_never_given_again(client, admin):
    from tomatoplan.rules import sessions
    from tomatoplan.web.state import DB

    me = await (await admin.get("/auth/me")).json()
    async with client.app[DB].write() as tx:
        await tx.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z'")
    assert await sessions.purge_expired(client.app[DB]) == 1
    response = await client.post("/auth/login", json={"username": "ADMIN"})
    token = (await response.json())["access_token"]
    again = await (await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert again["session"]["id"] > me["session"]["id"]

