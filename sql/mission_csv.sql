-- What the CSV of the missions shows beside them (owner: rules/mission_csv.py): the mission
-- lists give ids, a spreadsheet wants names.

-- name: names_of_page
-- The name of each chauffeur and the code of each voyage a page of missions names (JSON
-- arrays of ids).
SELECT 'chauffeur' AS kind, id, nom || ' ' || prenom AS name
  FROM chauffeurs
 WHERE id IN (SELECT value FROM json_each(:chauffeur_ids))
UNION ALL
SELECT 'voyage' AS kind, id, code AS name
  FROM voyages
 WHERE id IN (SELECT value FROM json_each(:voyage_ids))
