-- The import of PTT_v0.6's JSON files (owner: rules/migration.py): each record in its own
-- savepoint, and the records the files name, found by the id they had there. The records
-- themselves are written by their owners (chauffeurs, voyages, missions, competences).

-- name: savepoint_record
-- Before one record: what a rejected record wrote is undone, the others' kept (until the end).
SAVEPOINT import_record

-- name: rollback_record
-- Undo what the rejected record wrote (the savepoint stays open: release it after).
ROLLBACK TO import_record

-- name: release_record
-- Close the record's savepoint.
RELEASE import_record

-- name: database_uid
-- This database's identity (see migration 0006).
SELECT uid FROM database_identity

-- name: chauffeur_by_source
-- The chauffeur that keeps an id of the files; else, for an id export-json wrote here for a
-- record made here (tomatoplan-<uid>-12: `server_id` 12), that chauffeur if it has no other.
SELECT id FROM chauffeurs WHERE source_id = :source_id
UNION ALL
SELECT id FROM chauffeurs WHERE id = :server_id AND source_id IS NULL
 LIMIT 1

-- name: voyage_by_source
-- The voyage that keeps an id of the files (or the one `server_id` names).
SELECT id FROM voyages WHERE source_id = :source_id
UNION ALL
SELECT id FROM voyages WHERE id = :server_id AND source_id IS NULL
 LIMIT 1

-- name: mission_by_source
-- The mission that keeps an id of the files (or the one `server_id` names).
SELECT id FROM missions WHERE source_id = :source_id
UNION ALL
SELECT id FROM missions WHERE id = :server_id AND source_id IS NULL
 LIMIT 1

-- name: voyage_by_code
-- The voyage with this code (a mission may name its voyage by code).
SELECT id
  FROM voyages
 WHERE code = :code
