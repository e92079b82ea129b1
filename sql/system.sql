-- name: schema_objects
-- Tables, indexes and triggers of the schema, by name (the migration test compares them).
SELECT type, name
  FROM sqlite_master
 WHERE name NOT LIKE 'sqlite_%'
 ORDER BY type, name
