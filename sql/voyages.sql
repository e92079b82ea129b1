-- Voyages: the regular lines missions are generated from.
-- `competences_requises` comes back as a comma-separated list of skill codes (codes hold no comma).

-- name: voyage_by_id
-- One voyage by id.
SELECT id, code, nom, origine, destination, heure_debut, heure_fin, jours, actif, notes,
       (SELECT group_concat(skill_code, ',')
          FROM voyage_competences
         WHERE voyage_id = voyages.id) AS competences_requises,
       version, created_at, created_by, updated_at, updated_by
  FROM voyages
 WHERE id = :id

-- name: voyage_by_code
-- The voyage holding a code (unique).
SELECT id, code
  FROM voyages
 WHERE code = :code

-- name: voyages_page
-- Voyages by code, optionally only the active (or inactive) ones.
SELECT id, code, nom, origine, destination, heure_debut, heure_fin, jours, actif, notes,
       (SELECT group_concat(skill_code, ',')
          FROM voyage_competences
         WHERE voyage_id = voyages.id) AS competences_requises,
       version, created_at, created_by, updated_at, updated_by
  FROM voyages
 WHERE (:actif IS NULL OR actif = :actif)
 ORDER BY code, id
 LIMIT :limit OFFSET :offset

-- name: voyages_count
-- Number of voyages the page query can return.
SELECT count(*)
  FROM voyages
 WHERE (:actif IS NULL OR actif = :actif)

-- name: voyages_running_on
-- Active voyages that run on a weekday (`jour_bit`), each with one of its missions that day if any.
SELECT id, code, nom, origine, destination, heure_debut, heure_fin, jours, actif, notes,
       (SELECT group_concat(skill_code, ',')
          FROM voyage_competences
         WHERE voyage_id = voyages.id) AS competences_requises,
       version, created_at, created_by, updated_at, updated_by,
       (SELECT min(missions.id)
          FROM missions
         WHERE missions.voyage_id = voyages.id
           AND missions.date_mission = :date_mission) AS mission_id
  FROM voyages
 WHERE actif = 1
   AND (jours & :jour_bit) <> 0
 ORDER BY code, id

-- name: insert_voyage
-- Create a voyage; `source_id`: its id in the files it is imported from (else NULL).
INSERT INTO voyages (code, nom, origine, destination, heure_debut, heure_fin, jours, actif, notes,
                     source_id, version, created_at, created_by, updated_at, updated_by)
VALUES (:code, :nom, :origine, :destination, :heure_debut, :heure_fin, :jours, :actif, :notes,
        :source_id, 1, :now, :by, :now, :by)

-- name: update_voyage
-- Change a voyage if it is still at the expected version; rowcount 0 means stale.
UPDATE voyages
   SET code        = :code,
       nom         = :nom,
       origine     = :origine,
       destination = :destination,
       heure_debut = :heure_debut,
       heure_fin   = :heure_fin,
       jours       = :jours,
       actif       = :actif,
       notes       = :notes,
       version     = version + 1,
       updated_at  = :now,
       updated_by  = :by
 WHERE id = :id AND version = :version

-- name: delete_voyage
-- Erase a voyage (its required skills go with it) if still at the expected version.
DELETE FROM voyages
 WHERE id = :id AND version = :version

-- name: voyage_has_missions
-- 1 when at least one mission names this voyage (then it is deactivated, not erased).
SELECT 1
  FROM missions
 WHERE voyage_id = :voyage_id
 LIMIT 1

-- name: add_required_skill
-- Require one skill for a voyage.
INSERT INTO voyage_competences (voyage_id, skill_code)
VALUES (:voyage_id, :skill_code)

-- name: clear_required_skills
-- Forget every skill a voyage requires (before writing the new list).
DELETE FROM voyage_competences
 WHERE voyage_id = :voyage_id
