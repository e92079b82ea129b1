-- Settings an administrator changed at run time (owner: rules/settings.py). A row overrides
-- the value from the environment or .env; deleting it goes back to that value.

-- name: settings_all
-- Every setting changed from the administration.
SELECT key, value, updated_at, updated_by
  FROM settings
 ORDER BY key

-- name: upsert_setting
-- Store a setting's new value (JSON).
INSERT INTO settings (key, value, updated_at, updated_by)
VALUES (:key, :value, :now, :by)
    ON CONFLICT (key) DO UPDATE
   SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by

-- name: delete_setting
-- Go back to the value from the environment or .env.
DELETE FROM settings
 WHERE key = :key
