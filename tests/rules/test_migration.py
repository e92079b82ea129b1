"""The import of PTT_v0.6's JSON files: dry run, apply, a second run, changed records, each
reason a record is rejected, all or nothing; and the export that reads back the same."""

from __future__ import annotations

import copy
import io
import json

import pytest

from tests.helpers.api import activity_lines
from tests.helpers.planning import add_absence, make_chauffeur, make_mission, make_voyage, stored
from tomatoplan.base.db import Database
from tomatoplan.commands.migration import api_schemas
from tomatoplan.rules import migration, planning_export
from tomatoplan.rules.activity import Actor
from tomatoplan.web.state import DB

ACTOR = Actor(username="exploit (ligne de commande)", hostname="srv-planning")

# A planner's files as PTT_v0.6 might have written them: French names, French values.
PTT = {
    "chauffeurs": [
        {"id": 12, "nom": "DUPONT", "prénom": "Jean", "tel": "06 12 34 56 78",
         "competences": ["ADR", "Permis CE"]},
        {"id": 13, "Nom": "MARTIN", "Prenom": "Paul", "actif": "oui", "matricule": 42,
         "compétences": [{"code": "FIMO", "expiration": "30/06/2030"}]},
    ],
    "voyages": [
        {"id": "V1", "code_voyage": "LYON-MATIN", "destination": "Lyon", "debut": "5h00",
         "fin": "9h", "jours": "Lun, Mar, mercredi", "competences": "ADR"},
    ],
    "missions": [
        {"id": "M1", "date": "15/01/2024", "voyage": "V1", "chauffeur": 12, "statut": "Planifié",
         "prix": "125,50"},
        {"id": "M2", "date": "2024-01-15", "destination": "Paris", "heure_debut": "06:00",
         "heure_fin": "11:00", "chauffeur_id": 13, "statut": "En cours", "remarques": "quai 4"},
    ],
}


async def run(db, files, *, apply: bool, force: bool = False) -> migration.Report:
    if isinstance(files, dict):
        files = [("planning.json", files)]
    return await migration.import_files(db, ACTOR, files, api_schemas(), apply=apply, force=force)


def outcomes(report: migration.Report) -> list[str]:
    return [outcome for outcome, _, _ in report.entries if outcome != "warning"]


async def exported(db) -> dict:
    out = io.StringIO()
    await planning_export.export_planning(db, out)
    return json.loads(out.getvalue())


# --- dry run, apply, again -------------------------------------------------------------------

async def test_a_dry_run_says_what_it_would_do_and_writes_nothing(client):
    before = await stored(client)
    report = await run(client.app[DB], PTT, apply=False)
    assert outcomes(report) == ["created"] * 5 and not report.applied
    assert report.lines[0] == ("planning.json chauffeurs n° 0 (id 12) : à créer — chauffeur 1 "
                               "DUPONT Jean, compétences ADR, PERMIS_CE")
    assert report.summary() == ("Simulation : 5 à créer, 0 à modifier, 0 inchangé(s), 0 rejeté(s), "
                                "0 avertissement(s). Rien n'a été écrit ; pour importer : --apply.")
    assert await stored(client) == before  # activity lines included


async def test_apply_writes_every_record_through_its_rules_with_its_activity_line(client, admin):
    report = await run(client.app[DB], PTT, apply=True)
    assert report.applied and report.summary().startswith("Import fait : 5 créé(s)")
    assert "missions n° 1 (id M2) : créé — mission 2 du 2024-01-15 vers Paris" in report.lines[-1]
    dupont, martin = await (await admin.get("/chauffeurs")).json()
    assert (dupont["prenom"], dupont["telephone"]) == ("Jean", "06 12 34 56 78")
    assert [(c["code"], c["date_expiration"]) for c in dupont["competences"]] == [
        ("ADR", None), ("PERMIS_CE", None)]
    assert (martin["matricule"], martin["actif"], martin["competences"][0]["date_expiration"]) == (
        "42", True, "2030-06-30")
    voyage = (await (await admin.get("/voyages")).json())[0]
    assert (voyage["heure_debut"], voyage["heure_fin"], voyage["jours"], voyage["competences_requises"]
            ) == ("05:00", "09:00", ["lundi", "mardi", "mercredi"], ["ADR"])
    first, second = await (await admin.get("/missions")).json()
    # M1 takes its destination and hours from its voyage, as a POST does
    assert (first["destination"], first["heure_debut"], first["voyage_id"], first["chauffeur_id"],
            first["statut"], first["prix"]) == ("Lyon", "05:00", voyage["id"], dupont["id"],
                                               "planifie", "125.50")
    assert (second["statut"], second["chauffeur_id"]) == ("en_cours", martin["id"])
    lines = [line for line in await activity_lines(client) if line["action"] == "create"
             and line["entity"] != "user"]
    assert len(lines) == 2 + 3 + 1 + 2  # chauffeurs, their skills, the voyage, the missions
    assert {(line["username"], line["hostname"]) for line in lines} == {
        ("exploit (ligne de commande)", "srv-planning")}


async def test_a_second_import_of_the_same_files_creates_nothing(client):
    await run(client.app[DB], PTT, apply=True)
    before = await stored(client)
    again = await run(client.app[DB], PTT, apply=True)
    assert outcomes(again) == ["unchanged"] * 5 and again.applied
    assert again.summary().startswith("Import fait : 0 créé(s), 0 modifié(s), 5 inchangé(s)")
    assert await stored(client) == before


async def test_a_changed_record_is_updated_with_the_fields_it_names(client, admin):
    await run(client.app[DB], PTT, apply=True)
    # meanwhile a planner notes something the files do not hold: it is kept
    await admin.put("/missions/1", json={"vehicule": "AB-123-CD"})
    changed = copy.deepcopy(PTT)
    changed["missions"][0]["statut"] = "Terminé"
    changed["missions"][0]["prix"] = "130"
    changed["chauffeurs"][0]["competences"] = ["ADR", "FIMO"]
    dry = await run(client.app[DB], changed, apply=False)
    assert outcomes(dry) == ["updated", "unchanged", "unchanged", "updated", "unchanged"]
    assert "(id M1) : à modifier (prix, statut) — mission 1" in dry.lines[3]
    report = await run(client.app[DB], changed, apply=True)
    assert "(id 12) : modifié (competences) — chauffeur 1 DUPONT Jean" in report.lines[0]
    mission = await (await admin.get("/missions/1")).json()
    assert (mission["statut"], mission["prix"], mission["vehicule"], mission["version"]) == (
        "termine", "130.00", "AB-123-CD", 3)
    dupont = await (await admin.get("/chauffeurs/1")).json()
    assert [c["code"] for c in dupont["competences"]] == ["ADR", "FIMO"]


async def test_missions_name_chauffeurs_and_voyages_imported_before_or_by_code(client, admin):
    await run(client.app[DB], [("chauffeurs.json", PTT["chauffeurs"]),
                               ("voyages.json", PTT["voyages"])], apply=True)
    report = await run(client.app[DB], [("missions.json", [
        {"id": 1, "date": "16/01/2024", "code_voyage": "LYON-MATIN", "chauffeur": "12"}])],
        apply=True)
    assert outcomes(report) == ["created"]
    mission = await (await admin.get("/missions/1")).json()
    assert (mission["voyage_id"], mission["chauffeur_id"]) == (1, 1)


# --- what is refused ----------------------------------------------------------------------

MISSION = {"id": "M9", "date": "17/01/2024", "destination": "Nice"}
BAD_MISSIONS = [
    ({"id": None}, "sans id"),
    ({"date": "30/02/2024"}, "date (date_mission) : Date impossible : 2024-02-30."),
    ({"date": "demain"}, "Date attendue au format AAAA-MM-JJ"),
    ({"heure_debut": "25:00"}, "heure_debut : Heure attendue au format HH:MM"),
    ({"fin": "10:00"}, "fin (heure_fin) : Une heure de fin demande une heure de début."),
    ({"statut": "perdu"}, "statut : Valeur attendue parmi : planifie, en_cours, termine, annule."),
    ({"prix": "-5"}, "prix : Montant négatif refusé"),
    ({"prix": "12,345"}, "prix : "),
    ({"chauffeur": 99}, "chauffeur (chauffeur_id) : Chauffeur 99 introuvable : ni dans ces "
                        "fichiers, ni déjà importé."),
    ({"voyage": "NULLE-PART"}, "voyage (voyage_id) : Voyage 'NULLE-PART' introuvable"),
    ({"destination": None}, "destination : Valeur obligatoire (null refusé)."),
    ({"commentaire": "a", "remarques": "b"}, "commentaire et remarques donnent deux valeurs"),
]


@pytest.mark.parametrize(("change", "reason"), BAD_MISSIONS, ids=[r[:25] for _, r in BAD_MISSIONS])
async def test_each_bad_record_is_rejected_with_its_reason_and_nothing_is_written(
        client, change, reason):
    before = await stored(client)
    files = {"chauffeurs": PTT["chauffeurs"], "missions": [{**MISSION, **change}]}
    report = await run(client.app[DB], files, apply=True)
    assert not report.applied and report.counts["rejected"] == 1
    assert outcomes(report) == ["created", "created", "rejected"]  # what would have been
    rejected = report.lines[-1]
    assert " : rejeté : " in rejected and reason in rejected, rejected
    assert report.lines[0].endswith("à créer — chauffeur 1 DUPONT Jean, compétences ADR, PERMIS_CE")
    assert report.summary().startswith("Import refusé (tout ou rien) : 2 à créer")
    assert await stored(client) == before


OTHER_REFUSALS = [
    ({"chauffeurs": [{"id": 1, "nom": "A"}]}, "prenom : Champ obligatoire."),
    ({"chauffeurs": [{"id": 1, "nom": "A", "prenom": "B", "competences": ["PILOTE"]}]},
     "competences : Compétence PILOTE absente du catalogue"),
    ({"chauffeurs": [{"id": 1, "nom": "A", "prenom": "B", "email": "pas-une-adresse"}]},
     "email : Format invalide."),
    ({"chauffeurs": [{"id": 1, "nom": "A", "prenom": "B"}, {"id": 1, "nom": "C", "prenom": "D"}]},
     "id en double (déjà planning.json chauffeurs n° 0)"),
    ({"chauffeurs": [{"id": 1, "nom": "A", "prenom": "B", "matricule": "M1"},
                     {"id": 2, "nom": "C", "prenom": "D", "matricule": "M1"}]},
     "Le matricule M1 est déjà celui de A B"),
    ({"voyages": [{"id": 1, "code": "X", "jours": ["lundi", "férié"]}]}, "jours : Élément 1"),
    ({"voyages": [{"id": 1, "code": "X"}, {"id": 2, "code": "X"}]}, "Le code X est déjà celui du"),
    ({"voyages": [{"id": 1, "code": "X", "competences_requises": ["GRUE"]}]},
     "Compétence(s) absente(s) du catalogue : GRUE."),
    ({"missions": ["pas un objet"]}, "objet JSON attendu"),
    ({"chauffeurs": [{"id": 1, "nom": "A", "prenom": "B"}],
      "missions": [{"id": 1, "date": "2024-01-15", "destination": "X", "chauffeur": 1,
                    "heure_debut": "06:00"},
                   {"id": 2, "date": "2024-01-15", "destination": "Y", "chauffeur": 1,
                    "heure_debut": "06:00"}]},
     "affectation refusée : A B a déjà la mission 1"),
    ({"chauffeurs": [{"id": 1, "nom": "A"}],
      "missions": [{"id": 1, "date": "2024-01-15", "destination": "X", "chauffeur": 1}]},
     "chauffeur (chauffeur_id) : Le chauffeur 1 est rejeté."),
]


@pytest.mark.parametrize(("files", "reason"), OTHER_REFUSALS, ids=[r[:25] for _, r in OTHER_REFUSALS])
async def test_chauffeurs_voyages_and_references_are_held_to_the_api_rules(client, files, reason):
    before = await stored(client)
    report = await run(client.app[DB], files, apply=True)
    rejected = [line for line in report.lines if " : rejeté : " in line]
    assert rejected and any(reason in line for line in rejected), report.lines
    assert not report.applied
    assert await stored(client) == before


async def test_force_passes_the_assignment_checks_and_the_log_keeps_why(client, admin):
    await make_chauffeur(admin)
    await add_absence(admin, 1, "2024-01-15", "2024-01-16")
    uid = (await client.app[DB].query("SELECT uid FROM database_identity"))[0]["uid"]
    files = [("missions.json", [{"id": 1, "date": "2024-01-15", "destination": "X",
                                 "chauffeur": f"tomatoplan-{uid}-1"}])]
    refused = await run(client.app[DB], files, apply=True)
    assert "absent du 2024-01-15 au 2024-01-16" in refused.lines[0]
    assert "(--force pour passer outre)" in refused.lines[0]
    forced = await run(client.app[DB], files, apply=True, force=True)
    assert forced.applied
    line = (await activity_lines(client, limit=1))[0]
    assert "affectation forcée" in line["summary"] and "chauffeur_absent" in line["changes"]


async def test_unknown_fields_and_parts_are_reported_not_dropped_in_silence(client, admin):
    files = {"chauffeurs": [{"id": 1, "nom": "A", "prenom": "B", "couleur": "bleu"},
                            {"id": 2, "nom": "C", "prenom": "D", "couleur": "vert", "age": 40}],
             "vehicules": []}
    report = await run(client.app[DB], files, apply=True)
    assert report.applied and report.counts["warning"] == 3
    assert "avertissement : planning.json : partie « vehicules » inconnue, ignorée" in report.lines
    assert ("avertissement : planning.json chauffeurs : champ « couleur » inconnu pour les "
            "chauffeurs, ignoré (2 enregistrement(s) : 0, 1)") in report.lines
    assert len(await (await admin.get("/chauffeurs")).json()) == 2


async def test_a_file_that_does_not_say_what_it_holds_is_rejected(client):
    report = await run(client.app[DB], [("export.json", [{"id": 1}])], apply=False)
    assert report.counts["rejected"] == 1 and "nommez-le chauffeurs.json" in report.lines[0]


async def test_records_may_be_an_object_keyed_by_their_id(client, admin):
    files = [("Voyages.json", {"V1": {"code": "A"}, "V2": {"id": "V2", "code": "B"},
                               "V3": {"id": "V9", "code": "C"}})]
    report = await run(client.app[DB], files, apply=False)
    assert outcomes(report) == ["created", "created", "rejected"]
    assert "id 'V9' différent de sa clé 'V3'" in report.lines[2]


# --- the export ----------------------------------------------------------------------------

async def test_the_export_imports_into_an_empty_server_and_exports_back_the_same(client, admin,
                                                                                tmp_path):
    await run(client.app[DB], PTT, apply=True)
    # records made on the server (no id from elsewhere) travel too: tomatoplan-<uid>-<id>
    await make_chauffeur(admin, nom="NOUVEAU", prenom="Né", email="ne@example.fr")
    await make_voyage(admin, code="PARIS-SOIR", destination="Paris", jours=["vendredi"])
    await make_mission(admin, chauffeur_id=3, voyage_id=2, remarques="=1+1", prix="10.00")
    document = await exported(client.app[DB])
    uid = await client.app[DB].query("SELECT uid FROM database_identity")
    here = f"tomatoplan-{uid[0]['uid']}-3"
    assert [c["id"] for c in document["chauffeurs"]] == [12, 13, here]
    assert document["missions"][-1]["chauffeur_id"] == here
    assert document["missions"][0]["voyage_id"] == "V1"

    empty = Database(str(tmp_path / "vide.db"), readers=1)
    await empty.open()
    try:
        into_empty = await run(empty, document, apply=True)
        assert into_empty.applied and outcomes(into_empty) == ["created"] * 8
        assert await exported(empty) == document
    finally:
        await empty.close()
    again = await run(client.app[DB], document, apply=True)
    assert outcomes(again) == ["unchanged"] * 8


async def test_the_records_made_on_another_server_are_not_mistaken_for_these(client, admin,
                                                                             tmp_path):
    other = Database(str(tmp_path / "autre.db"), readers=1)
    await other.open()
    try:
        await run(other, {"chauffeurs": [{"id": 1, "nom": "ailleurs", "prenom": "X"}]}, apply=True)
        document = await exported(other)
        await other.transaction(lambda tx: tx.execute("UPDATE chauffeurs SET source_id = NULL"))
        made_there = await exported(other)
    finally:
        await other.close()
    await make_chauffeur(admin, nom="ICI")  # chauffeur 1 here too
    assert document["chauffeurs"][0]["id"] == 1
    assert made_there["chauffeurs"][0]["id"].endswith("-1")
    report = await run(client.app[DB], made_there, apply=True)
    assert outcomes(report) == ["created"]  # not chauffeur 1 of this server
    assert [c["nom"] for c in await (await admin.get("/chauffeurs")).json()] == ["ICI", "ailleurs"]


async def test_a_restore_keeps_the_ids_from_the_files(client, admin):
    await run(client.app[DB], PTT, apply=True)
    made = await (await admin.post("/admin/backups")).json()
    assert (await admin.post(f"/admin/backups/restore/{made['name']}")).status == 200
    again = await run(client.app[DB], PTT, apply=False)
    assert outcomes(again) == ["unchanged"] * 5
