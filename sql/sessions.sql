-- name: insert_session
-- Open a session for a freshly signed token.
INSERT INTO sessions (jti, user_id, hostname, address, user_agent,
                      created_at, last_seen_at, expires_at)
VALUES (:jti, :user_id, :hostname, :address, :user_agent,
        :now, :now, :expires_at)

-- name: session_for_token
-- The live session of a token with its user; no row when revoked, expired or the user inactive.
SELECT s.id AS session_id, s.jti, s.hostname, s.address, s.last_seen_at, s.expires_at,
       u.id AS user_id, u.username, u.display_name, u.role
  FROM sessions AS s
  JOIN users    AS u ON u.id = s.user_id
 WHERE s.jti = :jti
   AND s.revoked_at IS NULL
   AND s.expires_at > :now
   AND u.active = 1

-- name: touch_session
-- Record activity on a session.
UPDATE sessions
   SET last_seen_at = :now
 WHERE id = :id

-- name: active_sessions
-- Sessions not revoked nor expired, most recent activity first.
SELECT s.id, s.user_id, u.username, u.role, s.hostname, s.address, s.user_agent,
       s.created_at, s.last_seen_at, s.expires_at
  FROM sessions AS s
  JOIN users    AS u ON u.id = s.user_id
 WHERE s.revoked_at IS NULL
   AND s.expires_at > :now
 ORDER BY s.last_seen_at DESC
 LIMIT :limit OFFSET :offset

-- name: active_sessions_count
-- Number of sessions not revoked nor expired.
SELECT count(*)
  FROM sessions
 WHERE revoked_at IS NULL
   AND expires_at > :now

-- name: session_by_id
-- One session with its user.
SELECT s.id, s.user_id, u.username, u.role, s.hostname, s.address, s.user_agent,
       s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, s.revoked_reason
  FROM sessions AS s
  JOIN users    AS u ON u.id = s.user_id
 WHERE s.id = :id

-- name: revoke_session
-- Revoke one session (no effect when already revoked).
UPDATE sessions
   SET revoked_at = :now, revoked_reason = :reason
 WHERE id = :id AND revoked_at IS NULL

-- name: revoke_user_sessions
-- Revoke every live session of a user.
UPDATE sessions
   SET revoked_at = :now, revoked_reason = :reason
 WHERE user_id = :user_id AND revoked_at IS NULL AND expires_at > :now

-- name: purge_expired_sessions
-- Forget sessions whose token has expired.
DELETE FROM sessions
 WHERE expires_at <= :now

-- name: session_alive
-- 1 when the session is neither revoked nor expired and its user is active.
SELECT 1
  FROM sessions AS s
  JOIN users    AS u ON u.id = s.user_id
 WHERE s.id = :id
   AND s.revoked_at IS NULL
   AND s.expires_at > :now
   AND u.active = 1
