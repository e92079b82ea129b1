-- name: user_by_id
-- One user by id.
SELECT id, username, display_name, email, role, active, last_login_at, version,
       created_at, created_by, updated_at, updated_by
  FROM users
 WHERE id = :id

-- name: user_by_username
-- One user by normalised username.
SELECT id, username, display_name, email, role, active, last_login_at, version,
       created_at, created_by, updated_at, updated_by
  FROM users
 WHERE username = :username

-- name: users_page
-- Users by username; inactive ones only when asked.
SELECT id, username, display_name, email, role, active, last_login_at, version,
       created_at, created_by, updated_at, updated_by
  FROM users
 WHERE (:include_inactive OR active = 1)
 ORDER BY username
 LIMIT :limit OFFSET :offset

-- name: users_count
-- Number of users the page query can return.
SELECT count(*)
  FROM users
 WHERE (:include_inactive OR active = 1)

-- name: active_admins_count
-- Active admins; the last one may not be removed, deactivated or demoted.
SELECT count(*)
  FROM users
 WHERE role = 'admin' AND active = 1

-- name: insert_user
-- Create a user.
INSERT INTO users (username, display_name, email, role, active, version,
                   created_at, created_by, updated_at, updated_by)
VALUES (:username, :display_name, :email, :role, :active, 1,
        :now, :by, :now, :by)

-- name: update_user
-- Change a user if it is still at the expected version; rowcount 0 means stale.
UPDATE users
   SET display_name = :display_name,
       email        = :email,
       role         = :role,
       active       = :active,
       version      = version + 1,
       updated_at   = :now,
       updated_by   = :by
 WHERE id = :id AND version = :version

-- name: touch_last_login
-- Remember when a user last logged in.
UPDATE users
   SET last_login_at = :now
 WHERE id = :id
