-- Backups (owner: rules/backup_files.py): the description a backup file carries about itself,
-- the content fingerprint of the planning, and the restore of the planning from a backup
-- attached as `sauvegarde`. The planning tables, parents first: skills, chauffeurs,
-- chauffeur_competences, absences, vehicules, vehicule_indisponibilites, voyages,
-- voyage_competences, missions, jours_valides (the validated days go with their missions).
-- Each fingerprint and copy names every column of its table (tests/rules/test_backup_files.py
-- checks it).

-- name: create_description_table
-- The table, inside a backup file only, that holds its description (one JSON document).
CREATE TABLE IF NOT EXISTS tomatoplan_backup (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    document TEXT    NOT NULL
)

-- name: write_description
-- Set the backup's description.
INSERT OR REPLACE INTO tomatoplan_backup (id, document)
VALUES (1, :document)

-- name: read_description
-- The backup's description, when the file has one.
SELECT document
  FROM tomatoplan_backup
 WHERE id = 1

-- name: has_description
-- 1 when the file has the description table.
SELECT 1
  FROM sqlite_master
 WHERE type = 'table' AND name = 'tomatoplan_backup'

-- name: schema_objects
-- Every object of a database's schema but SQLite's own bookkeeping (its counters, statistics
-- and unnamed indexes), which validation compares with this server's own schema.
SELECT type, name, tbl_name, sql
  FROM sqlite_master
 WHERE NOT (type = 'table' AND name IN ('sqlite_sequence', 'sqlite_stat1', 'sqlite_stat4'))
   AND NOT (type = 'index' AND name LIKE 'sqlite\_autoindex\_%' ESCAPE '\' AND sql IS NULL)

-- name: table_columns
-- The columns of a table and their declared types.
SELECT name, type
  FROM pragma_table_info(:table)

-- name: row_counts
-- Rows of the main tables, shown with each backup.
SELECT (SELECT count(*) FROM missions)              AS missions,
       (SELECT count(*) FROM voyages)               AS voyages,
       (SELECT count(*) FROM chauffeurs)            AS chauffeurs,
       (SELECT count(*) FROM absences)              AS absences,
       (SELECT count(*) FROM chauffeur_competences) AS competences,
       (SELECT count(*) FROM skills)                AS skills,
       (SELECT count(*) FROM users)                 AS users,
       (SELECT count(*) FROM activity_log)          AS activity_log

-- name: fingerprint_skills
-- Row count and checksum (sum of row_digest over every column) of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(id, code, libelle, version, created_at, created_by,
                                          updated_at, updated_by))), 0) AS checksum
  FROM skills

-- name: fingerprint_chauffeurs
-- Row count and checksum of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(id, nom, prenom, matricule, telephone, email, actif,
                                          notes, source_id, version, created_at, created_by,
                                          updated_at, updated_by))), 0) AS checksum
  FROM chauffeurs

-- name: fingerprint_chauffeur_competences
-- Row count and checksum of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(id, chauffeur_id, skill_code, date_expiration, version,
                                          created_at, created_by, updated_at, updated_by))), 0)
       AS checksum
  FROM chauffeur_competences

-- name: fingerprint_absences
-- Row count and checksum of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(id, chauffeur_id, date_debut, date_fin, motif,
                                          commentaire, version, created_at, created_by,
                                          updated_at, updated_by))), 0) AS checksum
  FROM absences

-- name: fingerprint_vehicules
-- Row count and checksum of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(id, immatriculation, type, competence_requise, actif,
                                          notes, version, created_at, created_by, updated_at,
                                          updated_by))), 0) AS checksum
  FROM vehicules

-- name: fingerprint_vehicule_indisponibilites
-- Row count and checksum of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(id, vehicule_id, date_debut, date_fin, motif,
                                          commentaire, version, created_at, created_by,
                                          updated_at, updated_by))), 0) AS checksum
  FROM vehicule_indisponibilites

-- name: fingerprint_voyages
-- Row count and checksum of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(id, code, nom, origine, destination, heure_debut,
                                          heure_fin, jours, actif, notes, source_id, version,
                                          created_at, created_by, updated_at, updated_by))), 0)
       AS checksum
  FROM voyages

-- name: fingerprint_voyage_competences
-- Row count and checksum of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(voyage_id, skill_code))), 0) AS checksum
  FROM voyage_competences

-- name: fingerprint_missions
-- Row count and checksum of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(id, date_mission, destination, origine, voyage_id,
                                          chauffeur_id, vehicule, vehicule_id, heure_debut,
                                          heure_fin, statut, remarques, prix_cents, cout_cents,
                                          source_id, copie_de, version, created_at, created_by,
                                          updated_at, updated_by))), 0)
       AS checksum
  FROM missions

-- name: fingerprint_jours_valides
-- Row count and checksum of one table.
SELECT count(*) AS rows,
       coalesce(sum(row_digest(json_array(date, valide_par, valide_le))), 0) AS checksum
  FROM jours_valides

-- name: large_cache
-- A 256 MiB page cache for the restore's copy (a million missions: 29 s down to 17 s).
PRAGMA cache_size = -262144

-- name: usual_cache
-- Back to SQLite's usual page cache once the restore's copy is done.
PRAGMA cache_size = -2000

-- name: release_memory
-- Give back the memory the large cache held.
PRAGMA shrink_memory

-- name: clear_jours_valides
-- Empty a planning table before the restore fills it.
DELETE FROM main.jours_valides

-- name: clear_missions
-- Empty a planning table before the restore fills it (children first).
DELETE FROM main.missions

-- name: clear_voyage_competences
-- Empty a planning table before the restore fills it.
DELETE FROM main.voyage_competences

-- name: clear_voyages
-- Empty a planning table before the restore fills it.
DELETE FROM main.voyages

-- name: clear_vehicule_indisponibilites
-- Empty a planning table before the restore fills it.
DELETE FROM main.vehicule_indisponibilites

-- name: clear_vehicules
-- Empty a planning table before the restore fills it.
DELETE FROM main.vehicules

-- name: clear_absences
-- Empty a planning table before the restore fills it.
DELETE FROM main.absences

-- name: clear_chauffeur_competences
-- Empty a planning table before the restore fills it.
DELETE FROM main.chauffeur_competences

-- name: clear_chauffeurs
-- Empty a planning table before the restore fills it.
DELETE FROM main.chauffeurs

-- name: clear_skills
-- Empty a planning table before the restore fills it.
DELETE FROM main.skills

-- name: copy_skills
-- Fill a planning table from the attached backup (parents first).
INSERT INTO main.skills (id, code, libelle, version, created_at, created_by, updated_at,
                         updated_by)
SELECT id, code, libelle, version, created_at, created_by, updated_at, updated_by
  FROM sauvegarde.skills

-- name: copy_chauffeurs
-- Fill a planning table from the attached backup.
INSERT INTO main.chauffeurs (id, nom, prenom, matricule, telephone, email, actif, notes,
                             source_id, version, created_at, created_by, updated_at, updated_by)
SELECT id, nom, prenom, matricule, telephone, email, actif, notes,
       source_id, version, created_at, created_by, updated_at, updated_by
  FROM sauvegarde.chauffeurs

-- name: copy_chauffeur_competences
-- Fill a planning table from the attached backup.
INSERT INTO main.chauffeur_competences (id, chauffeur_id, skill_code, date_expiration, version,
                                        created_at, created_by, updated_at, updated_by)
SELECT id, chauffeur_id, skill_code, date_expiration, version,
       created_at, created_by, updated_at, updated_by
  FROM sauvegarde.chauffeur_competences

-- name: copy_absences
-- Fill a planning table from the attached backup.
INSERT INTO main.absences (id, chauffeur_id, date_debut, date_fin, motif, commentaire, version,
                           created_at, created_by, updated_at, updated_by)
SELECT id, chauffeur_id, date_debut, date_fin, motif, commentaire, version,
       created_at, created_by, updated_at, updated_by
  FROM sauvegarde.absences

-- name: copy_vehicules
-- Fill a planning table from the attached backup.
INSERT INTO main.vehicules (id, immatriculation, type, competence_requise, actif, notes, version,
                            created_at, created_by, updated_at, updated_by)
SELECT id, immatriculation, type, competence_requise, actif, notes, version,
       created_at, created_by, updated_at, updated_by
  FROM sauvegarde.vehicules

-- name: copy_vehicule_indisponibilites
-- Fill a planning table from the attached backup.
INSERT INTO main.vehicule_indisponibilites (id, vehicule_id, date_debut, date_fin, motif,
                                            commentaire, version, created_at, created_by,
                                            updated_at, updated_by)
SELECT id, vehicule_id, date_debut, date_fin, motif,
       commentaire, version, created_at, created_by, updated_at, updated_by
  FROM sauvegarde.vehicule_indisponibilites

-- name: copy_voyages
-- Fill a planning table from the attached backup.
INSERT INTO main.voyages (id, code, nom, origine, destination, heure_debut, heure_fin, jours, actif,
                          notes, source_id, version, created_at, created_by, updated_at, updated_by)
SELECT id, code, nom, origine, destination, heure_debut, heure_fin, jours, actif,
       notes, source_id, version, created_at, created_by, updated_at, updated_by
  FROM sauvegarde.voyages

-- name: copy_voyage_competences
-- Fill a planning table from the attached backup.
INSERT INTO main.voyage_competences (voyage_id, skill_code)
SELECT voyage_id, skill_code
  FROM sauvegarde.voyage_competences

-- name: copy_missions
-- Fill a planning table from the attached backup.
INSERT INTO main.missions (id, date_mission, destination, origine, voyage_id, chauffeur_id,
                           vehicule, vehicule_id, heure_debut, heure_fin, statut, remarques,
                           prix_cents, cout_cents, source_id, copie_de, version, created_at,
                           created_by, updated_at, updated_by)
SELECT id, date_mission, destination, origine, voyage_id, chauffeur_id,
       vehicule, vehicule_id, heure_debut, heure_fin, statut, remarques,
       prix_cents, cout_cents, source_id, copie_de, version, created_at, created_by, updated_at,
       updated_by
  FROM sauvegarde.missions

-- name: copy_jours_valides
-- Fill a planning table from the attached backup.
INSERT INTO main.jours_valides (date, valide_par, valide_le)
SELECT date, valide_par, valide_le
  FROM sauvegarde.jours_valides
