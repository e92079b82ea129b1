"""Every planning change writes exactly one activity line, with who, from where and the diff;
a refused change writes none."""

from __future__ import annotations

import json

from tests.helpers.api import activity_lines
from tests.helpers.planning import MONDAY, stored

# (method, path, body, status, action, entity, entity id, changes, words of the summary)
STEPS = [
    ("POST", "/chauffeurs", {"nom": "DUPONT", "prenom": "Jean", "matricule": "M-1"}, 201,
     "create", "chauffeur", 1,
     {"before": {}, "after": {"nom": "DUPONT", "prenom": "Jean", "matricule": "M-1", "actif": True}},
     "DUPONT Jean"),
    ("PUT", "/chauffeurs/1", {"telephone": "06 00 00 00 00", "nom": "DUPONT"}, 200,
     "update", "chauffeur", 1,
     {"before": {"telephone": None}, "after": {"telephone": "06 00 00 00 00"}}, "Modification"),
    ("POST", "/chauffeurs/1/competences", {"code": "ADR", "date_expiration": "2030-01-01"}, 201,
     "create", "competence", 1,
     {"before": {}, "after": {"chauffeur_id": 1, "code": "ADR", "date_expiration": "2030-01-01"}},
     "ADR"),
    ("PUT", "/chauffeurs/1/competences/1", {"date_expiration": "2031-01-01"}, 200,
     "update", "competence", 1,
     {"before": {"date_expiration": "2030-01-01"}, "after": {"date_expiration": "2031-01-01"}}, "ADR"),
    ("POST", "/chauffeurs/1/absences", {"date_debut": "2024-02-01", "date_fin": "2024-02-03",
                                        "motif": "formation"}, 201,
     "create", "absence", 1,
     {"before": {}, "after": {"chauffeur_id": 1, "date_debut": "2024-02-01",
                              "date_fin": "2024-02-03", "motif": "formation"}}, "formation"),
    ("PUT", "/chauffeurs/1/absences/1", {"date_fin": "2024-02-02"}, 200,
     "update", "absence", 1,
     {"before": {"date_fin": "2024-02-03"}, "after": {"date_fin": "2024-02-02"}}, "2024-02-02"),
    ("DELETE", "/chauffeurs/1/absences/1", None, 204,
     "delete", "absence", 1,
     {"before": {"chauffeur_id": 1, "date_debut": "2024-02-01", "date_fin": "2024-02-02",
                 "motif": "formation"}, "after": {}}, "Suppression"),
    ("POST", "/voyages", {"code": "PAR-01", "destination": "Paris", "jours": ["lundi"],
                          "competences_requises": ["ADR"]}, 201,
     "create", "voyage", 1,
     {"before": {}, "after": {"code": "PAR-01", "destination": "Paris", "jours": ["lundi"],
                              "competences_requises": ["ADR"], "actif": True}}, "PAR-01"),
    ("PUT", "/voyages/1", {"competences_requises": ["ADR", "FIMO"]}, 200,
     "update", "voyage", 1,
     {"before": {"competences_requises": ["ADR"]}, "after": {"competences_requises": ["ADR", "FIMO"]}},
     "PAR-01"),
    ("POST", "/missions?force=true", {"date_mission": MONDAY, "voyage_id": 1, "chauffeur_id": 1,
                                      "prix": "125.50"}, 201,
     "create", "mission", 1,
     {"before": {}, "after": {"date_mission": MONDAY, "destination": "Paris", "voyage_id": 1,
                              "chauffeur_id": 1, "statut": "planifie", "prix": "125.50"},
      "forced": [{"code": "competence_manquante", "competence": "FIMO",
                  "detail": "DUPONT Jean n'a pas la compétence FIMO que demande le voyage PAR-01."}]},
     "forcée"),
    ("PUT", "/missions/1", {"heure_debut": "06:00", "remarques": "quai 2", "chauffeur_id": None}, 200,
     "update", "mission", 1,
     {"before": {"heure_debut": None, "remarques": None, "chauffeur_id": 1},
      "after": {"heure_debut": "06:00", "remarques": "quai 2", "chauffeur_id": None}}, "mission 1"),
    ("POST", "/missions/generate", {"date": "2024-01-22"}, 201,
     "create", "mission", 2,
     {"before": {}, "after": {"date_mission": "2024-01-22", "destination": "Paris", "voyage_id": 1,
                              "statut": "planifie"}}, "Génération"),
    ("DELETE", "/missions/1", None, 204,
     "delete", "mission", 1,
     {"before": {"date_mission": MONDAY, "destination": "Paris", "voyage_id": 1,
                 "heure_debut": "06:00", "remarques": "quai 2", "statut": "planifie",
                 "prix": "125.50"}, "after": {}}, "Suppression"),
    ("DELETE", "/voyages/1", None, 200,
     "update", "voyage", 1, {"before": {"actif": True}, "after": {"actif": False}}, "Désactivation"),
    ("POST", "/competences", {"code": "HAYON", "libelle": "Hayon"}, 201,
     "create", "skill", 8, {"before": {}, "after": {"code": "HAYON", "libelle": "Hayon"}}, "HAYON"),
    ("PUT", "/competences/8", {"libelle": "Hayon élévateur"}, 200,
     "update", "skill", 8, {"before": {"libelle": "Hayon"}, "after": {"libelle": "Hayon élévateur"}},
     "HAYON"),
    ("DELETE", "/competences/8", None, 204,
     "delete", "skill", 8, {"before": {"code": "HAYON", "libelle": "Hayon élévateur"}, "after": {}},
     "HAYON"),
    ("DELETE", "/chauffeurs/1/competences/1", None, 204,
     "delete", "competence", 1,
     {"before": {"chauffeur_id": 1, "code": "ADR", "date_expiration": "2031-01-01"}, "after": {}},
     "Retrait"),
]


async def test_each_change_writes_exactly_one_line_with_its_diff(admin, client):
    for method, path, body, status, action, entity, entity_id, changes, words in STEPS:
        before = await stored(client)
        response = await admin.request(method, path, json=body)
        assert response.status == status, (method, path, await response.text())
        after = await stored(client)
        assert after["activity_lines"] == before["activity_lines"] + 1, (method, path)
        line = (await activity_lines(client, 1))[0]
        where = f"{method} {path}"
        assert (line["action"], line["entity"], line["entity_id"]) == (action, entity, entity_id), where
        assert (line["username"], line["hostname"], line["address"]) == (
            "ADMIN", "PC-TEST", "127.0.0.1"), where
        assert json.loads(line["changes"]) == changes, where
        assert words in line["summary"], (where, line["summary"])


async def test_refused_changes_write_no_line(admin, client):
    await admin.post("/chauffeurs", json={"nom": "DUPONT", "prenom": "Jean", "actif": False})
    await admin.post("/missions", json={"date_mission": MONDAY, "destination": "Paris"})
    before = await stored(client)
    refused = [
        ("POST", "/missions", {"date_mission": MONDAY, "destination": "P", "chauffeur_id": 1}, 409),
        ("PUT", "/missions/1", {"chauffeur_id": 1}, 409),
        ("PUT", "/missions/1", {"chauffeur_id": 2}, 409),
        ("POST", "/missions", {"date_mission": "2024-02-30", "destination": "P"}, 422),
        ("POST", "/chauffeurs/1/absences", {"date_debut": MONDAY, "date_fin": "2024-01-01"}, 422),
        ("DELETE", "/missions/9", None, 404),
        ("POST", "/voyages", {"code": "X", "competences_requises": ["NOPE"]}, 409),
    ]
    for method, path, body, status in refused:
        response = await admin.request(method, path, json=body)
        assert response.status == status, (method, path, await response.text())
    assert (await admin.put("/missions/1", json={"remarques": "x"},
                            headers={"If-Match": '"9"'})).status == 412
    assert await stored(client) == before


async def test_the_activity_line_is_written_in_the_same_transaction_as_the_change(admin, client,
                                                                                  monkeypatch):
    """If the log cannot be written, the change is rolled back with it."""
    from tomatoplan.rules import activity

    async def broken(*args, **kwargs):
        raise RuntimeError("disque plein")

    await admin.post("/missions", json={"date_mission": MONDAY, "destination": "Paris"})
    before = await stored(client)
    monkeypatch.setattr(activity, "record", broken)
    response = await admin.put("/missions/1", json={"remarques": "perdue"})
    assert response.status == 500
    monkeypatch.undo()
    assert await stored(client) == before
