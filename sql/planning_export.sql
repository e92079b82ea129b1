-- The whole planning as export-json writes it (owner: rules/planning_export.py), page by page
-- in id order (`after`: the last id of the page before), each record with the id it had in
-- the files it was imported from (source_id; NULL for a record made on this server).

-- name: database_uid
-- This database's identity, in the ids of the records made here (see migration 0006).
SELECT uid FROM database_identity

-- name: chauffeurs_after
-- One page of chauffeurs.
SELECT id, source_id, nom, prenom, matricule, telephone, email, actif, notes
  FROM chauffeurs
 WHERE id > :after
 ORDER BY id
 LIMIT :limit

-- name: competences_after
-- The skills held by the chauffeurs of the same page, by code.
SELECT chauffeur_id, skill_code, date_expiration
  FROM chauffeur_competences
 WHERE chauffeur_id IN (SELECT id FROM chauffeurs WHERE id > :after ORDER BY id LIMIT :limit)
 ORDER BY chauffeur_id, skill_code

-- name: voyages_after
-- One page of voyages, their required skills as a comma-separated list.
SELECT id, source_id, code, nom, origine, destination, heure_debut, heure_fin, jours, actif, notes,
       (SELECT group_concat(skill_code, ',')
          FROM voyage_competences
         WHERE voyage_id = voyages.id) AS competences_requises
  FROM voyages
 WHERE id > :after
 ORDER BY id
 LIMIT :limit

-- name: missions_after
-- One page of missions, each with the ids its voyage and chauffeur are exported under.
SELECT missions.id, missions.source_id, date_mission, missions.destination, missions.origine,
       voyage_id, voyages.source_id AS voyage_source_id, chauffeur_id,
       chauffeurs.source_id AS chauffeur_source_id, vehicule, missions.heure_debut,
       missions.heure_fin, statut, remarques, prix_cents, cout_cents
  FROM missions
  LEFT JOIN voyages ON voyages.id = missions.voyage_id
  LEFT JOIN chauffeurs ON chauffeurs.id = missions.chauffeur_id
 WHERE missions.id > :after
 ORDER BY missions.id
 LIMIT :limit
