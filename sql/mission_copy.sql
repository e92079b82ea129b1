-- Copying a day (owner: rules/mission_copy.py): which missions of the day copied to copy, and
-- the copy each already has on the target day. The copies themselves are written through
-- rules/missions.py, with the same checks as POST /missions.

-- name: missions_to_copy
-- The missions of :date_source that are not cancelled, by start time (those without a time
-- first), each with the id of its copy on :date_cible (NULL when it has none yet; a
-- cancelled copy still counts: it is not made again).
SELECT m.id,
       (SELECT min(c.id)
          FROM missions AS c
         WHERE c.date_mission = :date_cible
           AND c.copie_de = m.id) AS copie_id
  FROM missions AS m
 WHERE m.date_mission = :date_source
   AND m.statut <> 'annule'
 ORDER BY m.heure_debut, m.id
