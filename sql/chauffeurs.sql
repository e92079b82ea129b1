-- Chauffeurs, their skills (competences) and absences, and the skills catalogue.

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

-- name: competences_of_page
-- Skills of the chauffeurs on one page of `chauffeurs_page` (same parameters).
SELECT id, chauffeur_id, skill_code, date_expiration, version,
       created_at, created_by, updated_at, updated_by
  FROM chauffeur_competences
 WHERE chauffeur_id IN (SELECT id
                          FROM chauffeurs
                         WHERE (:actif IS NULL OR actif = :actif)
                         ORDER BY nom, prenom, id
                         LIMIT :limit OFFSET :offset)
 ORDER BY chauffeur_id, skill_code

-- name: all_chauffeurs
-- Every chauffeur by name (availability of a day).
SELECT id, nom, prenom, matricule, telephone, email, actif, notes, version,
       created_at, created_by, updated_at, updated_by
  FROM chauffeurs
 ORDER BY nom, prenom, id

-- name: all_competences
-- Every skill held by every chauffeur (availability of a day).
SELECT id, chauffeur_id, skill_code, date_expiration, version,
       created_at, created_by, updated_at, updated_by
  FROM chauffeur_competences
 ORDER BY chauffeur_id, skill_code

-- name: insert_chauffeur
-- Create a chauffeur.
INSERT INTO chauffeurs (nom, prenom, matricule, telephone, email, actif, notes, version,
                        created_at, created_by, updated_at, updated_by)
VALUES (:nom, :prenom, :matricule, :telephone, :email, :actif, :notes, 1,
        :now, :by, :now, :by)

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

-- name: absences_of_chauffeur
-- Absences of one chauffeur that touch [date_debut, date_fin], latest first.
SELECT id, chauffeur_id, date_debut, date_fin, motif, commentaire, version,
       created_at, created_by, updated_at, updated_by
  FROM absences
 WHERE chauffeur_id = :chauffeur_id
   AND date_debut <= :date_fin
   AND date_fin >= :date_debut
 ORDER BY date_debut DESC, id DESC
 LIMIT :limit OFFSET :offset

-- name: absences_of_chauffeur_count
-- Number of absences `absences_of_chauffeur` can return.
SELECT count(*)
  FROM absences
 WHERE chauffeur_id = :chauffeur_id
   AND date_debut <= :date_fin
   AND date_fin >= :date_debut

-- name: absence_by_id
-- One absence of one chauffeur.
SELECT id, chauffeur_id, date_debut, date_fin, motif, commentaire, version,
       created_at, created_by, updated_at, updated_by
  FROM absences
 WHERE id = :id AND chauffeur_id = :chauffeur_id

-- name: absences_on_date
-- Absences, of every chauffeur, covering one day (by start; callers group by chauffeur).
SELECT id, chauffeur_id, date_debut, date_fin, motif, commentaire
  FROM absences
 WHERE date_debut <= :date AND date_fin >= :date
 ORDER BY date_debut, id

-- name: insert_absence
-- Record an absence.
INSERT INTO absences (chauffeur_id, date_debut, date_fin, motif, commentaire, version,
                      created_at, created_by, updated_at, updated_by)
VALUES (:chauffeur_id, :date_debut, :date_fin, :motif, :commentaire, 1, :now, :by, :now, :by)

-- name: update_absence
-- Change an absence if still at the expected version.
UPDATE absences
   SET date_debut  = :date_debut,
       date_fin    = :date_fin,
       motif       = :motif,
       commentaire = :commentaire,
       version     = version + 1,
       updated_at  = :now,
       updated_by  = :by
 WHERE id = :id AND version = :version

-- name: delete_absence
-- Erase an absence if still at the expected version.
DELETE FROM absences
 WHERE id = :id AND version = :version

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
-- How many chauffeurs hold a skill and how many voyages require it.
SELECT (SELECT count(*) FROM chauffeur_competences WHERE skill_code = :code) AS chauffeurs,
       (SELECT count(*) FROM voyage_competences WHERE skill_code = :code) AS voyages

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
