-- Vehicles, and the missions that name them (owner: rules/vehicules.py).

-- name: vehicule_by_id
-- One vehicle by id.
SELECT id, immatriculation, type, competence_requise, actif, notes, version,
       created_at, created_by, updated_at, updated_by
  FROM vehicules
 WHERE id = :id

-- name: vehicule_by_immatriculation
-- The vehicle holding a number plate (unique).
SELECT id, immatriculation
  FROM vehicules
 WHERE immatriculation = :immatriculation

-- name: vehicules_page
-- Vehicles by number plate, optionally only the active (or inactive) ones, or of one type.
SELECT id, immatriculation, type, competence_requise, actif, notes, version,
       created_at, created_by, updated_at, updated_by
  FROM vehicules
 WHERE (:actif IS NULL OR actif = :actif)
   AND (:type IS NULL OR type = :type)
 ORDER BY immatriculation, id
 LIMIT :limit OFFSET :offset

-- name: vehicules_count
-- Number of vehicles the page query can return.
SELECT count(*)
  FROM vehicules
 WHERE (:actif IS NULL OR actif = :actif)
   AND (:type IS NULL OR type = :type)

-- name: insert_vehicule
-- Create a vehicle.
INSERT INTO vehicules (immatriculation, type, competence_requise, actif, notes,
                       version, created_at, created_by, updated_at, updated_by)
VALUES (:immatriculation, :type, :competence_requise, :actif, :notes, 1, :now, :by, :now, :by)

-- name: update_vehicule
-- Change a vehicle if it is still at the expected version; rowcount 0 means stale.
UPDATE vehicules
   SET immatriculation    = :immatriculation,
       type               = :type,
       competence_requise = :competence_requise,
       actif              = :actif,
       notes              = :notes,
       version            = version + 1,
       updated_at         = :now,
       updated_by         = :by
 WHERE id = :id AND version = :version

-- name: delete_vehicule
-- Erase a vehicle (its unavailabilities go with it) if still at the expected version.
DELETE FROM vehicules
 WHERE id = :id AND version = :version

-- name: vehicule_has_missions
-- 1 when at least one mission names this vehicle (then it is deactivated, not erased).
SELECT 1
  FROM missions
 WHERE vehicule_id = :vehicule_id
 LIMIT 1

-- name: vehicule_unavailability_count
-- Unavailabilities of a vehicle (told in the log when it is erased).
SELECT count(*)
  FROM vehicule_indisponibilites
 WHERE vehicule_id = :vehicule_id

-- name: vehicules_all
-- Every vehicle by number plate (the availability of a day).
SELECT id, immatriculation, type, competence_requise, actif, notes, version,
       created_at, created_by, updated_at, updated_by
  FROM vehicules
 ORDER BY immatriculation, id

-- name: vehicule_missions_around
-- Live (not cancelled) missions of one vehicle from the day before to the day after, except
-- `mission_id` (the one being checked): what a new assignment of the vehicle may overlap.
SELECT id, date_mission, destination, voyage_id, chauffeur_id, vehicule_id, heure_debut,
       heure_fin, statut
  FROM missions
 WHERE vehicule_id = :vehicule_id
   AND date_mission BETWEEN :date_avant AND :date_apres
   AND statut <> 'annule'
   AND id IS NOT :mission_id
 ORDER BY date_mission, heure_debut, id

-- name: missions_with_vehicles_around
-- Live missions that name a vehicle, from the day before to the day after (availability).
SELECT id, date_mission, destination, voyage_id, chauffeur_id, vehicule_id, heure_debut,
       heure_fin, statut
  FROM missions
 WHERE vehicule_id IS NOT NULL
   AND date_mission BETWEEN :date_avant AND :date_apres
   AND statut <> 'annule'
 ORDER BY vehicule_id, date_mission, heure_debut, id
