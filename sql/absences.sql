-- Absences of the chauffeurs (owner: rules/absences.py).

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
