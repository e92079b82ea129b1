-- Missions: one trip on one day. Money in INTEGER cents.
-- Every list query starts from an index (missions_by_date, _by_chauffeur or _by_voyage):
-- tests/rules/test_query_plans.py checks that none of them scans the table. A list is one
-- statement giving one row: the page as the JSON the API sends (`page`, built by SQLite from
-- the mission_documents view, finance fields only when :finance) and the number of missions
-- matching (`total_count`, counted on the index apart: a window count(*) OVER () built the
-- document of every matching row, 58 ms for a page of 1,000 out of 20,000 against 3 ms).

-- name: mission_by_id
-- One mission by id.
SELECT id, date_mission, destination, origine, voyage_id, chauffeur_id, vehicule, vehicule_id,
       heure_debut, heure_fin, statut, remarques, prix_cents, cout_cents, version,
       created_at, created_by, updated_at, updated_by
  FROM missions
 WHERE id = :id

-- name: missions_by_date
-- Missions of one day, by start time (those without a time first), and who validated the day
-- and when (NULL when it is open).
SELECT json_group_array(json(CASE WHEN :finance THEN document
                                  ELSE json_remove(document, '$.prix', '$.cout') END)) AS page,
       (SELECT count(*)
          FROM missions
         WHERE date_mission = :date_mission) AS total_count,
       (SELECT valide_par FROM jours_valides WHERE date = :date_mission) AS valide_par,
       (SELECT valide_le FROM jours_valides WHERE date = :date_mission) AS valide_le
  FROM (SELECT document
          FROM mission_documents
         WHERE date_mission = :date_mission
         ORDER BY heure_debut, id
         LIMIT :limit OFFSET :offset)

-- name: missions_in_range
-- Missions between two dates (inclusive) matching the optional filters, by day and time.
SELECT json_group_array(json(CASE WHEN :finance THEN document
                                  ELSE json_remove(document, '$.prix', '$.cout') END)) AS page,
       (SELECT count(*)
          FROM missions
         WHERE date_mission BETWEEN :date_debut AND :date_fin
           AND (:chauffeur_id IS NULL OR chauffeur_id = :chauffeur_id)
           AND (:voyage_id IS NULL OR voyage_id = :voyage_id)
           AND (:statut IS NULL OR statut = :statut)) AS total_count
  FROM (SELECT document
          FROM mission_documents
         WHERE date_mission BETWEEN :date_debut AND :date_fin
           AND (:chauffeur_id IS NULL OR chauffeur_id = :chauffeur_id)
           AND (:voyage_id IS NULL OR voyage_id = :voyage_id)
           AND (:statut IS NULL OR statut = :statut)
         ORDER BY date_mission, heure_debut, id
         LIMIT :limit OFFSET :offset)

-- name: missions_of_chauffeur
-- Missions of one chauffeur between two dates matching the other filters, by day and time.
SELECT json_group_array(json(CASE WHEN :finance THEN document
                                  ELSE json_remove(document, '$.prix', '$.cout') END)) AS page,
       (SELECT count(*)
          FROM missions
         WHERE chauffeur_id = :chauffeur_id
           AND date_mission BETWEEN :date_debut AND :date_fin
           AND (:voyage_id IS NULL OR voyage_id = :voyage_id)
           AND (:statut IS NULL OR statut = :statut)) AS total_count
  FROM (SELECT document
          FROM mission_documents
         WHERE chauffeur_id = :chauffeur_id
           AND date_mission BETWEEN :date_debut AND :date_fin
           AND (:voyage_id IS NULL OR voyage_id = :voyage_id)
           AND (:statut IS NULL OR statut = :statut)
         ORDER BY date_mission, heure_debut, id
         LIMIT :limit OFFSET :offset)

-- name: missions_of_voyage
-- Missions of one voyage between two dates matching the other filters, by day and time.
SELECT json_group_array(json(CASE WHEN :finance THEN document
                                  ELSE json_remove(document, '$.prix', '$.cout') END)) AS page,
       (SELECT count(*)
          FROM missions
         WHERE voyage_id = :voyage_id
           AND date_mission BETWEEN :date_debut AND :date_fin
           AND (:chauffeur_id IS NULL OR chauffeur_id = :chauffeur_id)
           AND (:statut IS NULL OR statut = :statut)) AS total_count
  FROM (SELECT document
          FROM mission_documents
         WHERE voyage_id = :voyage_id
           AND date_mission BETWEEN :date_debut AND :date_fin
           AND (:chauffeur_id IS NULL OR chauffeur_id = :chauffeur_id)
           AND (:statut IS NULL OR statut = :statut)
         ORDER BY date_mission, heure_debut, id
         LIMIT :limit OFFSET :offset)

-- name: chauffeur_missions_around
-- Live (not cancelled) missions of one chauffeur from the day before to the day after,
-- except `mission_id` (the one being checked): what a new assignment may overlap.
SELECT id, date_mission, destination, voyage_id, chauffeur_id, heure_debut, heure_fin, statut
  FROM missions
 WHERE chauffeur_id = :chauffeur_id
   AND date_mission BETWEEN :date_avant AND :date_apres
   AND statut <> 'annule'
   AND id IS NOT :mission_id
 ORDER BY date_mission, heure_debut, id

-- name: insert_mission
-- Create a mission; `source_id`: its id in the files it is imported from (else NULL);
-- `copie_de`: the mission it copies (POST /missions/copy, else NULL).
INSERT INTO missions (date_mission, destination, origine, voyage_id, chauffeur_id, vehicule,
                      vehicule_id, heure_debut, heure_fin, statut, remarques, prix_cents, cout_cents,
                      source_id, copie_de, version, created_at, created_by, updated_at, updated_by)
VALUES (:date_mission, :destination, :origine, :voyage_id, :chauffeur_id, :vehicule,
        :vehicule_id, :heure_debut, :heure_fin, :statut, :remarques, :prix_cents, :cout_cents,
        :source_id, :copie_de, 1, :now, :by, :now, :by)

-- name: update_mission
-- Change a mission if it is still at the expected version; rowcount 0 means stale.
UPDATE missions
   SET date_mission = :date_mission,
       destination  = :destination,
       origine      = :origine,
       voyage_id    = :voyage_id,
       chauffeur_id = :chauffeur_id,
       vehicule     = :vehicule,
       vehicule_id  = :vehicule_id,
       heure_debut  = :heure_debut,
       heure_fin    = :heure_fin,
       statut       = :statut,
       remarques    = :remarques,
       prix_cents   = :prix_cents,
       cout_cents   = :cout_cents,
       version      = version + 1,
       updated_at   = :now,
       updated_by   = :by
 WHERE id = :id AND version = :version

-- name: delete_mission
-- Erase a mission if still at the expected version.
DELETE FROM missions
 WHERE id = :id AND version = :version
