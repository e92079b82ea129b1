-- name: missions_by_statut_between
-- Missions per status with date_mission in [:debut, :fin].
SELECT statut, count(*) AS total
  FROM missions
 WHERE date_mission BETWEEN :debut AND :fin
 GROUP BY statut

-- name: unassigned_missions_on
-- Missions of a day without a chauffeur (cancelled ones aside).
SELECT count(*)
  FROM missions
 WHERE date_mission = :jour
   AND chauffeur_id IS NULL
   AND statut <> 'annule'

-- name: active_chauffeurs_count
-- Active chauffeurs.
SELECT count(*) FROM chauffeurs WHERE actif = 1

-- name: absent_chauffeurs_on
-- Active chauffeurs with an absence covering the day.
SELECT count(DISTINCT a.chauffeur_id)
  FROM absences   AS a
  JOIN chauffeurs AS c ON c.id = a.chauffeur_id
 WHERE a.date_debut <= :jour
   AND a.date_fin >= :jour
   AND c.actif = 1

-- name: expiring_competences
-- Skills of active chauffeurs expiring in [:debut, :fin], soonest first.
SELECT cc.chauffeur_id, c.nom, c.prenom, cc.skill_code, cc.date_expiration
  FROM chauffeur_competences AS cc
  JOIN chauffeurs            AS c ON c.id = cc.chauffeur_id
 WHERE cc.date_expiration BETWEEN :debut AND :fin
   AND c.actif = 1
 ORDER BY cc.date_expiration, c.nom
 LIMIT :limit

-- name: expiring_competences_count
-- How many such skills.
SELECT count(*)
  FROM chauffeur_competences AS cc
  JOIN chauffeurs            AS c ON c.id = cc.chauffeur_id
 WHERE cc.date_expiration BETWEEN :debut AND :fin
   AND c.actif = 1

-- name: active_voyages_count
-- Active voyages.
SELECT count(*) FROM voyages WHERE actif = 1

-- name: active_users_count
-- Active users.
SELECT count(*) FROM users WHERE active = 1

-- name: database_pages
-- Size of the main database file, in pages.
SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()
