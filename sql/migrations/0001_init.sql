-- Users, their sessions and the activity log (SAURON).
-- Timestamps are ISO 8601 UTC text ('2024-01-15T06:00:00.000Z'), written by the server.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'planner', 'planner_advanced',
                                                   'driver_admin', 'finance', 'admin')),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    last_login_at TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    updated_by    TEXT    NOT NULL
);

CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    jti            TEXT    NOT NULL UNIQUE,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    hostname       TEXT    NOT NULL DEFAULT '',
    address        TEXT    NOT NULL DEFAULT '',
    user_agent     TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    last_seen_at   TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    revoked_at     TEXT,
    revoked_reason TEXT
);

CREATE INDEX sessions_by_user    ON sessions (user_id);
CREATE INDEX sessions_by_expiry  ON sessions (expires_at);

-- Append-only: AUTOINCREMENT so an id is never reused (the event stream resumes from it).
CREATE TABLE activity_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT    NOT NULL,
    user_id   INTEGER,
    username  TEXT    NOT NULL DEFAULT '',
    hostname  TEXT    NOT NULL DEFAULT '',
    address   TEXT    NOT NULL DEFAULT '',
    action    TEXT    NOT NULL,
    entity    TEXT    NOT NULL DEFAULT '',
    entity_id INTEGER,
    summary   TEXT    NOT NULL DEFAULT '',
    changes   TEXT,   -- JSON {"before": {...}, "after": {...}} of the changed fields
    record    TEXT    -- JSON of the record after the change (what the live feed replays)
);

CREATE INDEX activity_by_time     ON activity_log (at);
CREATE INDEX activity_by_entity   ON activity_log (entity, entity_id);
CREATE INDEX activity_by_username ON activity_log (username, at);
CREATE INDEX activity_by_action   ON activity_log (action, at);

CREATE TRIGGER activity_log_is_append_only
BEFORE UPDATE ON activity_log
BEGIN
    SELECT RAISE(ABORT, 'activity_log is append-only');
END;

-- Settings changed from the admin pages (key -> JSON value).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
