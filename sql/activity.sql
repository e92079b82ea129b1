-- name: insert_activity
-- Append one line to the activity log (SAURON).
INSERT INTO activity_log (at, user_id, username, hostname, address, action, entity,
                          entity_id, summary, changes, record)
VALUES (:at, :user_id, :username, :hostname, :address, :action, :entity,
        :entity_id, :summary, :changes, :record)

-- name: activity_for_entity
-- The trail of one record, oldest first.
SELECT id, at, user_id, username, hostname, address, action, entity, entity_id, summary, changes
  FROM activity_log
 WHERE entity = :entity AND entity_id = :entity_id
 ORDER BY id

-- name: activity_latest
-- The newest lines, newest first (tests and the admin dashboard).
SELECT id, at, user_id, username, hostname, address, action, entity, entity_id, summary, changes
  FROM activity_log
 ORDER BY id DESC
 LIMIT :limit

-- name: activity_after
-- Lines after an id, oldest first (the live feed's replay).
SELECT id, at, user_id, username, hostname, address, action, entity, entity_id, summary,
       changes, record
  FROM activity_log
 WHERE id > :after
 ORDER BY id
 LIMIT :limit

-- name: activity_oldest_id
-- The oldest line still kept (older ones were purged by retention).
SELECT min(id) FROM activity_log
