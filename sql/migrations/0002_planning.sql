-- The planning: skills catalogue, chauffeurs (their skills and absences), voyages, missions.
-- Dates are 'YYYY-MM-DD' text, times 'HH:MM' text, timestamps ISO 8601 UTC text; money is
-- INTEGER cents (exact, never a float). Every mutable record carries id, version and
-- created/updated at/by; an update is `UPDATE ... WHERE id = :id AND version = :version`.

CREATE TABLE skills (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 40),
    libelle    TEXT    NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    updated_by TEXT    NOT NULL
);

WITH catalogue (code, libelle) AS (
    VALUES ('PERMIS_C',         'Permis C (poids lourd)'),
           ('PERMIS_CE',        'Permis CE (poids lourd avec remorque)'),
           ('ADR',              'ADR (transport de matières dangereuses)'),
           ('FIMO',             'FIMO (formation initiale minimale obligatoire)'),
           ('FCO',              'FCO (formation continue obligatoire)'),
           ('CARTE_CONDUCTEUR', 'Carte conducteur (chronotachygraphe)'),
           ('VISITE_MEDICALE',  'Visite médicale d''aptitude')
)
INSERT INTO skills (code, libelle, created_at, created_by, updated_at, updated_by)
SELECT code, libelle, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'SYSTEM',
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'SYSTEM'
  FROM catalogue;

CREATE TABLE chauffeurs (
    id         INTEGER PRIMARY KEY,
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

-- Unique when given: several chauffeurs may have no matricule yet.
CREATE UNIQUE INDEX chauffeurs_by_matricule ON chauffeurs (matricule) WHERE matricule IS NOT NULL;
CREATE INDEX chauffeurs_by_name ON chauffeurs (nom, prenom);

CREATE TABLE chauffeur_competences (
    id              INTEGER PRIMARY KEY,
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

CREATE INDEX chauffeur_competences_by_skill ON chauffeur_competences (skill_code);

CREATE TABLE absences (
    id           INTEGER PRIMARY KEY,
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

CREATE INDEX absences_by_chauffeur ON absences (chauffeur_id, date_debut);
CREATE INDEX absences_by_dates     ON absences (date_debut, date_fin);

-- `jours`: bit 0 = lundi ... bit 6 = dimanche (ISO weekday - 1).
CREATE TABLE voyages (
    id          INTEGER PRIMARY KEY,
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

-- Skills a chauffeur must hold (valid on the mission's date) to drive a voyage.
CREATE TABLE voyage_competences (
    voyage_id  INTEGER NOT NULL REFERENCES voyages (id) ON DELETE CASCADE,
    skill_code TEXT    NOT NULL REFERENCES skills (code),
    PRIMARY KEY (voyage_id, skill_code)
) WITHOUT ROWID;

CREATE INDEX voyage_competences_by_skill ON voyage_competences (skill_code);

CREATE TABLE missions (
    id           INTEGER PRIMARY KEY,
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

-- The queries that grow with the data all start from one of these (see tests).
CREATE INDEX missions_by_date      ON missions (date_mission, heure_debut);
CREATE INDEX missions_by_chauffeur ON missions (chauffeur_id, date_mission);
CREATE INDEX missions_by_voyage    ON missions (voyage_id, date_mission);
