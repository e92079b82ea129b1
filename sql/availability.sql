-- The availability of a day (GET /chauffeurs/disponibles/{date}), built by SQLite in ONE
-- statement: the rules are assignment.find_problems' (tests/rules/test_availability_sql.py
-- holds the two to the same answers), each chauffeur reached through its own indexes
-- (INDEXED BY: without statistics, SQLite would read the whole day for every chauffeur).

-- name: available_on_day
-- Every chauffeur by name, as the API shows it, with `raisons` (why it may not take a trip
-- that day: inactive, absent, the voyage's skills missing or expired, a live mission on the
-- voyage's slot), `disponible` and its live missions that day; only the available ones
-- unless :tous. :required (a JSON array of skill codes), :voyage_code, :slot_start and
-- :slot_end (minutes from midnight of :day, see rules/hours.span) come from the voyage; NULL
-- without one; :default_minutes is what a mission with a start and no end occupies. One row:
-- the page (JSON array) and its length.
SELECT json_group_array(json_object(
           'id', id, 'nom', nom, 'prenom', prenom, 'matricule', matricule,
           'telephone', telephone, 'email', email,
           'actif', json(CASE WHEN actif THEN 'true' ELSE 'false' END), 'notes', notes,
           'competences', json(competences), 'version', version,
           'created_at', created_at, 'created_by', created_by,
           'updated_at', updated_at, 'updated_by', updated_by,
           'disponible', json(CASE WHEN raisons = '[]' THEN 'true' ELSE 'false' END),
           'raisons', json(raisons), 'missions', json(missions))) AS page,
       count(*) AS total_count
  FROM (SELECT *
          FROM (
        SELECT c.*,
               (SELECT json_group_array(json_object('id', h.id, 'code', h.skill_code,
                                                    'date_expiration', h.date_expiration))
                  FROM (SELECT id, skill_code, date_expiration
                          FROM chauffeur_competences
                         WHERE chauffeur_id = c.id
                         ORDER BY skill_code) AS h) AS competences,
               (SELECT json_group_array(json(reason))
                  FROM (SELECT 0 AS kind, 0 AS k1, '' AS k2, 0 AS k3,
                               json_object('code', 'chauffeur_inactif',
                                           'detail', c.nom || ' ' || c.prenom || ' est inactif.') AS reason
                         WHERE NOT c.actif
                        UNION ALL
                        SELECT 1, 0, a.date_debut, a.id,
                               json_object('code', 'chauffeur_absent', 'absence_id', a.id,
                                           'detail', c.nom || ' ' || c.prenom || ' est absent du '
                                                     || a.date_debut || ' au ' || a.date_fin
                                                     || ' (' || a.motif || ').')
                          FROM absences AS a
                         WHERE a.chauffeur_id = c.id AND a.date_debut <= :day AND a.date_fin >= :day
                        UNION ALL
                        SELECT 2, r.key, '', 0,
                               CASE WHEN h.id IS NULL
                                    THEN json_object('code', 'competence_manquante', 'competence', r.value,
                                                     'detail', c.nom || ' ' || c.prenom
                                                               || ' n''a pas la compétence ' || r.value
                                                               || ' que demande le voyage '
                                                               || :voyage_code || '.')
                                    ELSE json_object('code', 'competence_expiree', 'competence', r.value,
                                                     'detail', 'La compétence ' || r.value || ' de '
                                                               || c.nom || ' ' || c.prenom
                                                               || ' a expiré le ' || h.date_expiration
                                                               || ' (voyage ' || :voyage_code || ' le '
                                                               || :day || ').') END
                          FROM json_each(:required) AS r
                          LEFT JOIN chauffeur_competences AS h
                                 ON h.chauffeur_id = c.id AND h.skill_code = r.value
                         WHERE h.id IS NULL OR h.date_expiration < :day
                        UNION ALL
                        SELECT 3, t.date_mission, t.heure_debut, t.id,
                               json_object('code', 'chevauchement', 'mission_id', t.id,
                                           'detail', c.nom || ' ' || c.prenom || ' a déjà la mission '
                                                     || t.id || ' le ' || t.date_mission || ' ('
                                                     || CASE WHEN t.heure_fin IS NULL
                                                             THEN 'à ' || t.heure_debut || ', '
                                                                  || :default_minutes || ' min par défaut'
                                                             ELSE t.heure_debut || '-' || t.heure_fin END
                                                     || ', ' || t.destination || ') sur le même créneau.')
                          FROM (SELECT s.*, CASE WHEN s.heure_fin IS NULL THEN s.debut + :default_minutes
                                                 WHEN s.fin <= s.debut THEN s.fin + 1440
                                                 ELSE s.fin END AS fin_span
                                  FROM (SELECT m.id, m.date_mission, m.heure_debut, m.heure_fin,
                                               m.destination,
                                               o.shift + substr(m.heure_debut, 1, 2) * 60
                                                        + substr(m.heure_debut, 4, 2) AS debut,
                                               o.shift + substr(m.heure_fin, 1, 2) * 60
                                                        + substr(m.heure_fin, 4, 2) AS fin
                                          FROM missions AS m INDEXED BY missions_by_chauffeur
                                          JOIN (SELECT :day_before AS day, -1440 AS shift
                                                UNION ALL SELECT :day, 0
                                                UNION ALL SELECT :day_after, 1440) AS o
                                            ON o.day = m.date_mission
                                         WHERE m.chauffeur_id = c.id
                                           AND m.date_mission BETWEEN :day_before AND :day_after
                                           AND m.statut <> 'annule'
                                           AND m.heure_debut IS NOT NULL
                                           AND :slot_start IS NOT NULL) AS s) AS t
                         WHERE :slot_start = t.debut
                            OR (:slot_start < t.fin_span AND t.debut < :slot_end)
                        ORDER BY kind, k1, k2, k3)) AS raisons,
               (SELECT json_group_array(json_object('id', d.id, 'date_mission', d.date_mission,
                                                    'heure_debut', d.heure_debut, 'heure_fin', d.heure_fin,
                                                    'destination', d.destination,
                                                    'voyage_id', d.voyage_id, 'statut', d.statut))
                  FROM (SELECT id, date_mission, heure_debut, heure_fin, destination, voyage_id, statut
                          FROM missions INDEXED BY missions_by_chauffeur
                         WHERE chauffeur_id = c.id AND date_mission = :day AND statut <> 'annule'
                         ORDER BY heure_debut, id) AS d) AS missions
          FROM chauffeurs AS c)
         WHERE :tous OR raisons = '[]'
         ORDER BY nom, prenom, id)
