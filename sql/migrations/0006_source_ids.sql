-- The id each chauffeur, voyage and mission had in the files it was imported from (PTT_v0.6's
-- JSON, or an export of this server), as text: a second import of the same files finds the
-- record again and changes it instead of creating a second one (`import-json`). NULL for a
-- record made on this server. Unique when given; the API does not show it.
ALTER TABLE chauffeurs ADD COLUMN source_id TEXT;
ALTER TABLE voyages ADD COLUMN source_id TEXT;
ALTER TABLE missions ADD COLUMN source_id TEXT;

CREATE UNIQUE INDEX chauffeurs_by_source ON chauffeurs (source_id) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX voyages_by_source ON voyages (source_id) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX missions_by_source ON missions (source_id) WHERE source_id IS NOT NULL;

-- Which database this is, in the ids export-json gives the records made here, which have no
-- id from elsewhere (tomatoplan-<uid>-<id>): importing the file back here finds them again;
-- into another server, it creates them there. Random, written once here, never changed.
CREATE TABLE database_identity (
    uid TEXT NOT NULL CHECK (length(uid) = 8)
);
INSERT INTO database_identity (uid) VALUES (lower(hex(randomblob(4))));
