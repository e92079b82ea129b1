-- Validated days (owner: rules/jours.py): the days a planner_advanced or an admin closed.
-- While a day is here, only they may create, change or delete its missions.

-- name: validation_of_day
-- The validation of one day: who and when; no row when the day is open.
SELECT date, valide_par, valide_le
  FROM jours_valides
 WHERE date = :date

-- name: insert_validation
-- Validate a day; nothing when it already is (the first validation stays).
INSERT INTO jours_valides (date, valide_par, valide_le)
VALUES (:date, :by, :now)
    ON CONFLICT (date) DO NOTHING

-- name: delete_validation
-- Reopen a day.
DELETE FROM jours_valides
 WHERE date = :date
