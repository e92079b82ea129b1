-- Unavailabilities of the vehicles: maintenance, contrôle technique... (owner:
-- rules/vehicle_unavailability.py).

-- name: unavailabilities_of_vehicule
-- Unavailabilities of one vehicle that touch [date_debut, date_fin], latest first.
SELECT id, vehicule_id, date_debut, date_fin, motif, commentaire, version,
       created_at, created_by, updated_at, updated_by
  FROM vehicule_indisponibilites
 WHERE vehicule_id = :vehicule_id
   AND date_debut <= :date_fin
   AND date_fin >= :date_debut
 ORDER BY date_debut DESC, id DESC
 LIMIT :limit OFFSET :offset

-- name: unavailabilities_of_vehicule_count
-- Number of unavailabilities `unavailabilities_of_vehicule` can return.
SELECT count(*)
  FROM vehicule_indisponibilites
 WHERE vehicule_id = :vehicule_id
   AND date_debut <= :date_fin
   AND date_fin >= :date_debut

-- name: unavailabilities_on_day
-- Every vehicle's unavailabilities covering one day, by vehicle then start.
SELECT id, vehicule_id, date_debut, date_fin, motif, commentaire
  FROM vehicule_indisponibilites
 WHERE date_debut <= :day
   AND date_fin >= :day
 ORDER BY vehicule_id, date_debut, id

-- name: unavailability_by_id
-- One unavailability of one vehicle.
SELECT id, vehicule_id, date_debut, date_fin, motif, commentaire, version,
       created_at, created_by, updated_at, updated_by
  FROM vehicule_indisponibilites
 WHERE id = :id AND vehicule_id = :vehicule_id

-- name: insert_unavailability
-- Record an unavailability.
INSERT INTO vehicule_indisponibilites (vehicule_id, date_debut, date_fin, motif, commentaire,
                                       version, created_at, created_by, updated_at, updated_by)
VALUES (:vehicule_id, :date_debut, :date_fin, :motif, :commentaire, 1, :now, :by, :now, :by)

-- name: update_unavailability
-- Change an unavailability if still at the expected version.
UPDATE vehicule_indisponibilites
   SET date_debut  = :date_debut,
       date_fin    = :date_fin,
       motif       = :motif,
       commentaire = :commentaire,
       version     = version + 1,
       updated_at  = :now,
       updated_by  = :by
 WHERE id = :id AND version = :version

-- name: delete_unavailability
-- Erase an unavailability if still at the expected version.
DELETE FROM vehicule_indisponibilites
 WHERE id = :id AND version = :version
