-- Chauffeurs, with the skills they hold shown inside each (owner: rules/chauffeurs.py).

-- name: chauffeur_by_id
-- One chauffeur by id.
SELECT id, nom, prenom, matricule, telephone, email, actif, notes, version,
       created_at, created_by, updated_at, updated_by
  FROM chauffeurs
 WHERE id = :id

-- name: chauffeur_by_matricule
-- The chauffeur holding a matricule (unique when given).
SELECT id, nom, prenom
  FROM chauffeurs
 WHERE matricule = :matricule

-- name: chauffeurs_page
-- Chauffeurs by name, optionally only the active (or inactive) ones.
SELECT id, nom, prenom, matricule, telephone, email, actif, notes, version,
       created_at, created_by, updated_at, updated_by
  FROM chauffeurs
 WHERE (:actif IS NULL OR actif = :actif)
 ORDER BY nom, prenom, id
 LIMIT :limit OFFSET :offset

-- name: chauffeurs_count
-- Number of chauffeurs the page query can return.
SELECT count(*)
  FROM chauffeurs
 WHERE (:actif IS NULL OR actif = :actif)

-- name: insert_chauffeur
-- Create a chauffeur; `source_id`: its id in the files it is imported from (else NULL).
INSERT INTO chauffeurs (nom, prenom, matricule, telephone, email, actif, notes, source_id,
                        version, created_at, created_by, updated_at, updated_by)
VALUES (:nom, :prenom, :matricule, :telephone, :email, :actif, :notes, :source_id,
        1, :now, :by, :now, :by)

-- name: update_chauffeur
-- Change a chauffeur if it is still at the expected version; rowcount 0 means stale.
UPDATE chauffeurs
   SET nom        = :nom,
       prenom     = :prenom,
       matricule  = :matricule,
       telephone  = :telephone,
       email      = :email,
       actif      = :actif,
       notes      = :notes,
       version    = version + 1,
       updated_at = :now,
       updated_by = :by
 WHERE id = :id AND version = :version

-- name: delete_chauffeur
-- Erase a chauffeur (absences and skills go with it) if still at the expected version.
DELETE FROM chauffeurs
 WHERE id = :id AND version = :version

-- name: chauffeur_has_missions
-- 1 when at least one mission names this chauffeur (then it is deactivated, not erased).
SELECT 1
  FROM missions
 WHERE chauffeur_id = :chauffeur_id
 LIMIT 1

-- name: chauffeur_activity_count
-- Absences and skills a chauffeur holds (told in the log when it is erased).
SELECT (SELECT count(*) FROM absences WHERE chauffeur_id = :chauffeur_id) AS absences,
       (SELECT count(*) FROM chauffeur_competences WHERE chauffeur_id = :chauffeur_id) AS competences

-- name: chauffeur_exists
-- 1 when the chauffeur exists.
SELECT 1
  FROM chauffeurs
 WHERE id = :id

-- name: held_competences
-- The skills one chauffeur holds, by code (shown inside the chauffeur).
SELECT id, chauffeur_id, skill_code, date_expiration
  FROM chauffeur_competences
 WHERE chauffeur_id = :chauffeur_id
 ORDER BY skill_code

-- name: held_competences_of_page
-- The skills held by the chauffeurs on one page of `chauffeurs_page` (same parameters).
SELECT id, chauffeur_id, skill_code, date_expiration
  FROM chauffeur_competences
 WHERE chauffeur_id IN (SELECT id
                          FROM chauffeurs
                         WHERE (:actif IS NULL OR actif = :actif)
                         ORDER BY nom, prenom, id
                         LIMIT :limit OFFSET :offset)
 ORDER BY chauffeur_id, skill_code
