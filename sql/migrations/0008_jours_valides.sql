-- Copy a day and a validated day (issue 14).
--
-- missions.copie_de: the id of the mission a copy was made from (POST /missions/copy), NULL
-- for any other mission. A second copy of the same day to the same day finds its copies by
-- it and makes no others, whatever was changed on them since. A plain number, not a foreign
-- key: an id is never given again (0004), so it keeps naming the source after its deletion.
ALTER TABLE missions ADD COLUMN copie_de INTEGER;

-- The days a planner_advanced or an admin has validated: while a day is here, only they may
-- create, change or delete its missions. Reopening the day deletes its row.
CREATE TABLE jours_valides (
    date       TEXT NOT NULL PRIMARY KEY CHECK (date(date) = date),
    valide_par TEXT NOT NULL,
    valide_le  TEXT NOT NULL
);
