-- Indexes for the dashboard: each figure reads an index only, also on a million missions.

-- Missions of a day or a week by status, and unassigned ones, without touching the table.
CREATE INDEX missions_by_date_statut ON missions (date_mission, statut, chauffeur_id);

-- Skills expiring soon.
CREATE INDEX chauffeur_competences_by_expiry ON chauffeur_competences (date_expiration);
