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

-- name: activity_page
-- Lines matching the optional filters, newest first (:jusqu_a is the end, excluded).
SELECT id, at, user_id, username, hostname, address, action, entity, entity_id, summary, changes
  FROM activity_log
 WHERE (:username IS NULL OR username = :username)
   AND (:action IS NULL OR action = :action)
   AND (:entity IS NULL OR entity = :entity)
   AND (:entity_id IS NULL OR entity_id = :entity_id)
   AND (:depuis IS NULL OR at >= :depuis)
   AND (:jusqu_a IS NULL OR at < :jusqu_a)
 ORDER BY id DESC
 LIMIT :limit OFFSET :offset

-- name: activity_count
-- Number of lines matching the same filters.
SELECT count(*)
  FROM activity_log
 WHERE (:username IS NULL OR username = :username)
   AND (:action IS NULL OR action = :action)
   AND (:entity IS NULL OR entity = :entity)
   AND (:entity_id IS NULL OR entity_id = :entity_id)
   AND (:depuis IS NULL OR at >= :depuis)
   AND (:jusqu_a IS NULL OR at < :jusqu_a)

-- name: activity_by_user
-- Per user and action, the number of lines in [depuis, jusqu_a).
SELECT username, action, count(*) AS total
  FROM activity_log
 WHERE at >= :depuis AND at < :jusqu_a
 GROUP BY username, action
 ORDER BY username, action

-- name: purge_activity_before
-- Delete up to :batch lines older than :cutoff (retention), oldest first.
DELETE FROM activity_log
 WHERE id IN (SELECT id
                FROM activity_log
               WHERE at < :cutoff
               ORDER BY id
               LIMIT :batch)

-- name: last_backup
-- The newest backup line (made or failed), of one trigger (manuel, auto...) when given.
SELECT id, at, action, summary, changes
  FROM activity_log
 WHERE action IN ('backup', 'backup_failed')
   AND (:trigger IS NULL OR json_extract(changes, '$.trigger') = :trigger)
 ORDER BY id DESC
 LIMIT 1
