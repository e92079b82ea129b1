-- Vehicles as records (issue 14): a truck is a row, so the same truck cannot be given two
-- missions on one slot. `immatriculation` is stored as the API normalises it (SIV `AB-123-CD`,
-- or the older FNI `1234 AB 56`) and is unique; `competence_requise` is a skill code of the
-- catalogue its driver must hold. A vehicle is unavailable (maintenance, contrôle technique)
-- from date_debut to date_fin included. Missions name their vehicle by `vehicule_id`; the free
-- text `vehicule` stays for the clients that write it. Ids are never given again
-- (AUTOINCREMENT, see 0004).

CREATE TABLE vehicules (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    immatriculation    TEXT    NOT NULL UNIQUE CHECK (length(immatriculation) BETWEEN 4 AND 12),
    type               TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 30),
    competence_requise TEXT             REFERENCES skills (code),
    actif              INTEGER NOT NULL DEFAULT 1 CHECK (actif IN (0, 1)),
    notes              TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT    NOT NULL,
    created_by         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    updated_by         TEXT    NOT NULL
);
CREATE INDEX vehicules_by_skill ON vehicules (competence_requise);

CREATE TABLE vehicule_indisponibilites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    vehicule_id INTEGER NOT NULL REFERENCES vehicules (id) ON DELETE CASCADE,
    date_debut  TEXT    NOT NULL CHECK (date(date_debut) = date_debut),
    date_fin    TEXT    NOT NULL CHECK (date(date_fin) = date_fin),
    motif       TEXT    NOT NULL DEFAULT 'autre'
                        CHECK (motif IN ('maintenance', 'controle_technique', 'panne', 'autre')),
    commentaire TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL,
    CHECK (date_fin >= date_debut)
);
CREATE INDEX vehicule_indisponibilites_by_vehicule
    ON vehicule_indisponibilites (vehicule_id, date_debut);
CREATE INDEX vehicule_indisponibilites_by_dates ON vehicule_indisponibilites (date_debut, date_fin);

ALTER TABLE missions ADD COLUMN vehicule_id INTEGER REFERENCES vehicules (id);
CREATE INDEX missions_by_vehicule ON missions (vehicule_id, date_mission);

-- The documents of the mission lists (0005) carry vehicule_id, as mission_out does.
DROP VIEW mission_documents;
CREATE VIEW mission_documents AS
SELECT id, date_mission, heure_debut, chauffeur_id, voyage_id, vehicule_id, statut,
       json_object(
           'id', id, 'date_mission', date_mission, 'destination', destination,
           'origine', origine, 'voyage_id', voyage_id, 'chauffeur_id', chauffeur_id,
           'vehicule', vehicule, 'vehicule_id', vehicule_id,
           'heure_debut', heure_debut, 'heure_fin', heure_fin,
           'statut', statut, 'remarques', remarques,
           'prix', CASE WHEN prix_cents IS NULL THEN NULL
                        ELSE printf('%s%d.%02d', CASE WHEN prix_cents < 0 THEN '-' ELSE '' END,
                                    abs(prix_cents) / 100, abs(prix_cents) % 100) END,
           'cout', CASE WHEN cout_cents IS NULL THEN NULL
                        ELSE printf('%s%d.%02d', CASE WHEN cout_cents < 0 THEN '-' ELSE '' END,
                                    abs(cout_cents) / 100, abs(cout_cents) % 100) END,
           'version', version, 'created_at', created_at, 'created_by', created_by,
           'updated_at', updated_at, 'updated_by', updated_by) AS document
  FROM missions;
