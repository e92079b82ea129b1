-- The skills catalogue (owner: rules/skills.py).

-- name: skills_all
-- The skills catalogue, by code.
SELECT id, code, libelle, version, created_at, created_by, updated_at, updated_by
  FROM skills
 ORDER BY code

-- name: skill_by_id
-- One skill of the catalogue.
SELECT id, code, libelle, version, created_at, created_by, updated_at, updated_by
  FROM skills
 WHERE id = :id

-- name: skill_by_code
-- One skill of the catalogue by its code.
SELECT id, code, libelle, version, created_at, created_by, updated_at, updated_by
  FROM skills
 WHERE code = :code

-- name: skill_uses
-- How many chauffeurs hold a skill, and how many voyages and vehicles require it.
SELECT (SELECT count(*) FROM chauffeur_competences WHERE skill_code = :code) AS chauffeurs,
       (SELECT count(*) FROM voyage_competences WHERE skill_code = :code) AS voyages,
       (SELECT count(*) FROM vehicules WHERE competence_requise = :code) AS vehicules

-- name: insert_skill
-- Add a skill to the catalogue.
INSERT INTO skills (code, libelle, version, created_at, created_by, updated_at, updated_by)
VALUES (:code, :libelle, 1, :now, :by, :now, :by)

-- name: update_skill
-- Rename a skill (its code never changes) if still at the expected version.
UPDATE skills
   SET libelle    = :libelle,
       version    = version + 1,
       updated_at = :now,
       updated_by = :by
 WHERE id = :id AND version = :version

-- name: delete_skill
-- Remove an unused skill from the catalogue if still at the expected version.
DELETE FROM skills
 WHERE id = :id AND version = :version
