-- Each mission as the API shows it, built by SQLite: lists send these documents as they come
-- (json_group_array), without a Python dict or json.dumps per row. A view adds no data and no
-- write cost; SQLite flattens it into each query, so the lists keep their indexes
-- (tests/rules/test_query_plans.py). Money is exact text from cents, as base/money.amount_text
-- writes it ("125.50", "-0.05"); the queries drop prix and cout for roles that may not read
-- them. tests/rules/test_mission_documents.py checks every document equals mission_out.
CREATE VIEW mission_documents AS
SELECT id, date_mission, heure_debut, chauffeur_id, voyage_id, statut,
       json_object(
           'id', id, 'date_mission', date_mission, 'destination', destination,
           'origine', origine, 'voyage_id', voyage_id, 'chauffeur_id', chauffeur_id,
           'vehicule', vehicule, 'heure_debut', heure_debut, 'heure_fin', heure_fin,
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
