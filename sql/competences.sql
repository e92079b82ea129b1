-- The skills a chauffeur holds, each with its expiry (owner: rules/competences.py).

-- name: competences_of_chauffeur
-- The skills of one chauffeur, by code.
SELECT id, chauffeur_id, skill_code, date_expiration, version,
       created_at, created_by, updated_at, updated_by
  FROM chauffeur_competences
 WHERE chauffeur_id = :chauffeur_id
 ORDER BY skill_code

-- name: competence_by_id
-- One skill of one chauffeur.
SELECT id, chauffeur_id, skill_code, date_expiration, version,
       created_at, created_by, updated_at, updated_by
  FROM chauffeur_competences
 WHERE id = :id AND chauffeur_id = :chauffeur_id

-- name: competence_by_code
-- The skill `skill_code` of one chauffeur, if held.
SELECT id
  FROM chauffeur_competences
 WHERE chauffeur_id = :chauffeur_id AND skill_code = :skill_code

-- name: insert_competence
-- Give a chauffeur a skill.
INSERT INTO chauffeur_competences (chauffeur_id, skill_code, date_expiration, version,
                                   created_at, created_by, updated_at, updated_by)
VALUES (:chauffeur_id, :skill_code, :date_expiration, 1, :now, :by, :now, :by)

-- name: update_competence
-- Change a chauffeur's skill if still at the expected version.
UPDATE chauffeur_competences
   SET skill_code      = :skill_code,
       date_expiration = :date_expiration,
       version         = version + 1,
       updated_at      = :now,
       updated_by      = :by
 WHERE id = :id AND version = :version

-- name: delete_competence
-- Take a skill away from a chauffeur if still at the expected version.
DELETE FROM chauffeur_competences
 WHERE id = :id AND version = :version
