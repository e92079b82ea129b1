"""`import-json` and `export-json` run as a sysadmin runs them, in the server's working folder:
dry run by default, --apply, a second run, all or nothing, a folder of files, the round trip."""

from __future__ import annotations

import contextlib
import json
import sqlite3

from tests.helpers.cli import run

CHAUFFEURS = [{"id": 12, "nom": "DUPONT", "prénom": "Jean", "competences": ["ADR"]},
              {"id": 13, "nom": "MARTIN", "prenom": "Paul", "couleur": "bleu"}]
VOYAGES = {"V1": {"code": "LYON-MATIN", "destination": "Lyon", "debut": "5h00", "fin": "9h00",
                  "jours": "lun, mar", "competences": ["ADR"]}}
MISSIONS = [{"id": "M1", "date": "15/01/2024", "voyage": "V1", "chauffeur": 12, "prix": "125,50"},
            {"id": "M2", "date": "15/01/2024", "destination": "Paris", "chauffeur": 13,
             "heure_debut": "06:00", "statut": "En cours"}]


def write(folder, name: str, content) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(content, ensure_ascii=False), "utf-8")


def counts(folder) -> tuple:
    with contextlib.closing(sqlite3.connect(folder / "data" / "tomatoplan.db")) as conn:
        return tuple(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                     for table in ("chauffeurs", "voyages", "missions", "activity_log"))


def test_a_folder_is_simulated_then_applied_then_found_unchanged(tmp_path):
    ptt = tmp_path / "ptt"
    write(ptt, "chauffeurs.json", CHAUFFEURS)
    write(ptt, "voyages.json", VOYAGES)
    write(ptt, "missions_2024-01.json", MISSIONS)
    (ptt / "lisezmoi.txt").write_text("pas du JSON")

    dry = run(tmp_path, "import-json", "ptt")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "Simulation : rien ne sera écrit (--apply pour importer).",
        "avertissement : chauffeurs.json : champ « couleur » inconnu pour les chauffeurs, ignoré "
        "(1 enregistrement(s) : 1)",
        "chauffeurs.json n° 0 (id 12) : à créer — chauffeur 1 DUPONT Jean, compétences ADR",
        "chauffeurs.json n° 1 (id 13) : à créer — chauffeur 2 MARTIN Paul",
        "voyages.json n° 0 (id V1) : à créer — voyage 1 LYON-MATIN",
        "missions_2024-01.json n° 0 (id M1) : à créer — mission 1 du 2024-01-15 vers Lyon",
        "missions_2024-01.json n° 1 (id M2) : à créer — mission 2 du 2024-01-15 vers Paris",
        "Simulation : 5 à créer, 0 à modifier, 0 inchangé(s), 0 rejeté(s), 1 avertissement(s). "
        "Rien n'a été écrit ; pour importer : --apply.",
    ]
    written = counts(tmp_path)
    assert written[:3] == (0, 0, 0)

    applied = run(tmp_path, "import-json", "ptt", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "missions_2024-01.json n° 1 (id M2) : créé — mission 2" in applied.stdout
    assert applied.stdout.splitlines()[-1].startswith("Import fait : 5 créé(s)")
    assert counts(tmp_path)[:3] == (2, 1, 2)
    with contextlib.closing(sqlite3.connect(tmp_path / "data" / "tomatoplan.db")) as conn:
        users = {row[0] for row in conn.execute(
            "SELECT username FROM activity_log WHERE entity = 'mission'")}
    assert len(users) == 1 and users.pop().endswith(" (ligne de commande)")

    before = counts(tmp_path)
    again = run(tmp_path, "import-json", "ptt", "--apply")
    assert again.returncode == 0
    assert again.stdout.count(": inchangé — ") == 5
    assert counts(tmp_path) == before  # not even an activity line


def test_one_bad_record_means_nothing_is_written_and_exit_1(tmp_path):
    write(tmp_path / "ptt", "chauffeurs.json", CHAUFFEURS)
    write(tmp_path / "ptt", "missions.json", [*MISSIONS, {"id": "M3", "date": "31/04/2024",
                                                          "destination": "Nice"}])
    refused = run(tmp_path, "import-json", "ptt", "--apply")
    assert refused.returncode == 1
    assert ("missions.json n° 2 (id M3) : rejeté : date (date_mission) : Date impossible : "
            "2024-04-31.") in refused.stdout
    # M1 names a voyage that is in no file: rejected too
    assert "(id M1) : rejeté : voyage (voyage_id) : Voyage 'V1' introuvable" in refused.stdout
    assert "chauffeurs.json n° 0 (id 12) : à créer" in refused.stdout
    assert refused.stdout.splitlines()[-1].startswith("Import refusé (tout ou rien) : 3 à créer")
    assert counts(tmp_path)[:3] == (0, 0, 0)
    dry = run(tmp_path, "import-json", "ptt")
    assert dry.returncode == 1 and "corrigez les rejetés, puis --apply" in dry.stdout


def test_a_file_that_is_not_json_or_not_there(tmp_path):
    (tmp_path / "missions.json").write_text('[{"id": 1,', "utf-8")
    broken = run(tmp_path, "import-json", "missions.json", "--apply")
    assert broken.returncode == 1
    assert broken.stdout.splitlines()[0].startswith("missions.json : rejeté : JSON mal formé")
    missing = run(tmp_path, "import-json", "absent")
    assert (missing.returncode, missing.stderr.strip()) == (1, "tomatoplan: introuvable : absent")
    (tmp_path / "vide").mkdir()
    empty = run(tmp_path, "import-json", "vide")
    assert empty.returncode == 1 and "aucun fichier .json dans vide" in empty.stderr


def test_a_windows_file_in_cp1252_is_read(tmp_path):
    content = json.dumps([{"id": 1, "nom": "LEFÈVRE", "prénom": "Hélène"}], ensure_ascii=False)
    (tmp_path / "chauffeurs.json").write_bytes(content.encode("cp1252"))
    imported = run(tmp_path, "import-json", "chauffeurs.json", "--apply")
    assert imported.returncode == 0, imported.stdout
    assert "chauffeur 1 LEFÈVRE Hélène" in imported.stdout


def test_export_then_import_elsewhere_then_export_gives_the_same_file(tmp_path):
    source, copy = tmp_path / "a", tmp_path / "b"
    write(source, "planning.json", {"chauffeurs": CHAUFFEURS, "voyages": VOYAGES,
                                    "missions": MISSIONS})
    assert run(source, "import-json", "planning.json", "--apply").returncode == 0
    exported = run(source, "export-json")
    assert exported.returncode == 0, exported.stderr
    name = exported.stdout.split(" dans ")[1].strip()
    assert name.startswith("planning_") and name.endswith(".json")
    assert exported.stdout.startswith("Export fait : 2 chauffeur(s), 1 voyage(s), 2 mission(s)")
    document = json.loads((source / name).read_text("utf-8"))
    assert document["missions"][0] == {
        "id": "M1", "date_mission": "2024-01-15", "destination": "Lyon", "origine": None,
        "voyage_id": "V1", "chauffeur_id": 12, "vehicule": None, "heure_debut": "05:00",
        "heure_fin": "09:00", "statut": "planifie", "remarques": None, "prix": "125.50",
        "cout": None}

    copy.mkdir()
    (copy / "planning.json").write_bytes((source / name).read_bytes())
    assert run(copy, "import-json", "planning.json", "--apply").returncode == 0
    assert run(copy, "export-json", "--output", "retour.json").returncode == 0
    assert (copy / "retour.json").read_bytes() == (source / name).read_bytes()
    to_stdout = run(copy, "export-json", "-o", "-")
    assert json.loads(to_stdout.stdout) == document
    assert to_stdout.stderr.startswith("Export fait : 2 chauffeur(s)")


def test_the_help_is_in_french(tmp_path):
    helped = run(tmp_path, "import-json", "--help")
    assert helped.returncode == 0 and "simulation, rien n'est écrit" in helped.stdout
    listed = run(tmp_path, "--help")
    assert "importer les fichiers JSON de PTT_v0.6" in listed.stdout
    assert "exporter tout le planning en JSON" in listed.stdout
