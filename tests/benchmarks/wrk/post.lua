-- POST /missions: an unassigned mission on a quiet day (no check stops it), each one durable.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"date_mission": "2024-05-01", "destination": "Bench", "heure_debut": "08:00"}'
