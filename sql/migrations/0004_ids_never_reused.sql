-- An id names one record for ever: the history (/missions/{id}/history), the live feed and the
-- activity log find records by id. Without AUTOINCREMENT, SQLite gives the id of a deleted
-- newest row to the next insert, so a new mission took over a deleted one's history.
--
-- Each table whose rows can be deleted is rebuilt with AUTOINCREMENT (same columns, same
-- constraints, rows copied, indexes recreated), the way SQLite prescribes: the migration runs
-- with foreign keys off and checks them before COMMIT. Each counter then starts after the
-- highest id the table or the activity log has ever named, so an id deleted before this
-- migration is not given again either. Users are deactivated, never deleted: unchanged.

-- skills ------------------------------------------------------------------------------------
CREATE TABLE skills_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT    NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 40),
    libelle    TEXT    NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    updated_by TEXT    NOT NULL
);
INSERT INTO skills_new (id, code, libelle, version, created_at, created_by, updated_at, updated_by)
SELECT id, code, libelle, version, created_at, created_by, updated_at, updated_by
  FROM skills;
DROP TABLE skills;
ALTER TABLE skills_new RENAME TO skills;

-- chauffeurs --------------------------------------------------------------------------------
CREATE TABLE chauffeurs_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    nom        TEXT    NOT NULL CHECK (length(nom) >= 1),
    prenom     TEXT    NOT NULL CHECK (length(prenom) >= 1),
    matricule  TEXT             CHECK (matricule IS NULL OR length(matricule) >= 1),
    telephone  TEXT,
    email      TEXT,
    actif      INTEGER NOT NULL DEFAULT 1 CHECK (actif IN (0, 1)),
    notes      TEXT,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    updated_by TEXT    NOT NULL
);
INSERT INTO chauffeurs_new (id, nom, prenom, matricule, telephone, email, actif, notes, version,
                            created_at, created_by, updated_at, updated_by)
SELECT id, nom, prenom, matricule, telephone, email, actif, notes, version,
       created_at, created_by, updated_at, updated_by
  FROM chauffeurs;
DROP TABLE chauffeurs;
ALTER TABLE chauffeurs_new RENAME TO chauffeurs;
CREATE UNIQUE INDEX chauffeurs_by_matricule ON chauffeurs (matricule) WHERE matricule IS NOT NULL;
CREATE INDEX chauffeurs_by_name ON chauffeurs (nom, prenom);

-- chauffeur_competences ---------------------------------------------------------------------
CREATE TABLE chauffeur_competences_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    chauffeur_id    INTEGER NOT NULL REFERENCES chauffeurs (id) ON DELETE CASCADE,
    skill_code      TEXT    NOT NULL REFERENCES skills (code),
    date_expiration TEXT             CHECK (date_expiration IS NULL OR date(date_expiration) = date_expiration),
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    updated_by      TEXT    NOT NULL,
    UNIQUE (chauffeur_id, skill_code)
);
INSERT INTO chauffeur_competences_new (id, chauffeur_id, skill_code, date_expiration, version,
                                       created_at, created_by, updated_at, updated_by)
SELECT id, chauffeur_id, skill_code, date_expiration, version,
       created_at, created_by, updated_at, updated_by
  FROM chauffeur_competences;
DROP TABLE chauffeur_competences;
ALTER TABLE chauffeur_competences_new RENAME TO chauffeur_competences;
CREATE INDEX chauffeur_competences_by_skill ON chauffeur_competences (skill_code);
CREATE INDEX chauffeur_competences_by_expiry ON chauffeur_competences (date_expiration);

-- absences ----------------------------------------------------------------------------------
CREATE TABLE absences_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    chauffeur_id INTEGER NOT NULL REFERENCES chauffeurs (id) ON DELETE CASCADE,
    date_debut   TEXT    NOT NULL CHECK (date(date_debut) = date_debut),
    date_fin     TEXT    NOT NULL CHECK (date(date_fin) = date_fin),
    motif        TEXT    NOT NULL DEFAULT 'autre'
                         CHECK (motif IN ('conge', 'maladie', 'formation', 'autre')),
    commentaire  TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    updated_by   TEXT    NOT NULL,
    CHECK (date_fin >= date_debut)
);
INSERT INTO absences_new (id, chauffeur_id, date_debut, date_fin, motif, commentaire, version,
                          created_at, created_by, updated_at, updated_by)
SELECT id, chauffeur_id, date_debut, date_fin, motif, commentaire, version,
       created_at, created_by, updated_at, updated_by
  FROM absences;
DROP TABLE absences;
ALTER TABLE absences_new RENAME TO absences;
CREATE INDEX absences_by_chauffeur ON absences (chauffeur_id, date_debut);
CREATE INDEX absences_by_dates     ON absences (date_debut, date_fin);

-- voyages (voyage_competences keeps its rows: it references voyages by id) ------------------
CREATE TABLE voyages_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE CHECK (length(code) >= 1),
    nom         TEXT,
    origine     TEXT,
    destination TEXT,
    heure_debut TEXT             CHECK (heure_debut IS NULL OR heure_debut GLOB '[0-2][0-9]:[0-5][0-9]'),
    heure_fin   TEXT             CHECK (heure_fin IS NULL OR heure_fin GLOB '[0-2][0-9]:[0-5][0-9]'),
    jours       INTEGER NOT NULL DEFAULT 0 CHECK (jours BETWEEN 0 AND 127),
    actif       INTEGER NOT NULL DEFAULT 1 CHECK (actif IN (0, 1)),
    notes       TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL
);
INSERT INTO voyages_new (id, code, nom, origine, destination, heure_debut, heure_fin, jours, actif,
                         notes, version, created_at, created_by, updated_at, updated_by)
SELECT id, code, nom, origine, destination, heure_debut, heure_fin, jours, actif,
       notes, version, created_at, created_by, updated_at, updated_by
  FROM voyages;
DROP TABLE voyages;
ALTER TABLE voyages_new RENAME TO voyages;

-- missions ----------------------------------------------------------------------------------
CREATE TABLE missions_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    date_mission TEXT    NOT NULL CHECK (date(date_mission) = date_mission),
    destination  TEXT    NOT NULL,
    origine      TEXT,
    voyage_id    INTEGER REFERENCES voyages (id),
    chauffeur_id INTEGER REFERENCES chauffeurs (id),
    vehicule     TEXT,
    heure_debut  TEXT             CHECK (heure_debut IS NULL OR heure_debut GLOB '[0-2][0-9]:[0-5][0-9]'),
    heure_fin    TEXT             CHECK (heure_fin IS NULL OR heure_fin GLOB '[0-2][0-9]:[0-5][0-9]'),
    statut       TEXT    NOT NULL DEFAULT 'planifie'
                         CHECK (statut IN ('planifie', 'en_cours', 'termine', 'annule')),
    remarques    TEXT,
    prix_cents   INTEGER,
    cout_cents   INTEGER,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    updated_by   TEXT    NOT NULL,
    CHECK (heure_fin IS NULL OR heure_debut IS NOT NULL)
);
INSERT INTO missions_new (id, date_mission, destination, origine, voyage_id, chauffeur_id, vehicule,
                          heure_debut, heure_fin, statut, remarques, prix_cents, cout_cents, version,
                          created_at, created_by, updated_at, updated_by)
SELECT id, date_mission, destination, origine, voyage_id, chauffeur_id, vehicule,
       heure_debut, heure_fin, statut, remarques, prix_cents, cout_cents, version,
       created_at, created_by, updated_at, updated_by
  FROM missions;
DROP TABLE missions;
ALTER TABLE missions_new RENAME TO missions;
CREATE INDEX missions_by_date        ON missions (date_mission, heure_debut);
CREATE INDEX missions_by_chauffeur   ON missions (chauffeur_id, date_mission);
CREATE INDEX missions_by_voyage      ON missions (voyage_id, date_mission);
CREATE INDEX missions_by_date_statut ON missions (date_mission, statut, chauffeur_id);

-- sessions (expired ones are purged) --------------------------------------------------------
CREATE TABLE sessions_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO sessions_new (id, jti, user_id, hostname, address, user_agent, created_at,
                          last_seen_at, expires_at, revoked_at, revoked_reason)
SELECT id, jti, user_id, hostname, address, user_agent, created_at,
       last_seen_at, expires_at, revoked_at, revoked_reason
  FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_by_user   ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Each counter starts after the highest id the table or the activity log has named --------
CREATE TEMP TABLE id_counters AS
WITH counters (name, entity) AS (
    VALUES ('skills', 'skill'), ('chauffeurs', 'chauffeur'),
           ('chauffeur_competences', 'competence'), ('absences', 'absence'),
           ('voyages', 'voyage'), ('missions', 'mission'), ('sessions', 'session')
)
SELECT name,
       max(coalesce((SELECT seq FROM sqlite_sequence AS s WHERE s.name = counters.name), 0),
           coalesce((SELECT max(entity_id) FROM activity_log AS a WHERE a.entity = counters.entity), 0))
       AS seq
  FROM counters;
DELETE FROM sqlite_sequence WHERE name IN (SELECT name FROM id_counters);
INSERT INTO sqlite_sequence (name, seq) SELECT name, seq FROM id_counters;
DROP TABLE id_counters;
