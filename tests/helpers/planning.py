"""Planning records made through the API, and a snapshot of what is stored."""

from __future__ import annotations

from tomatoplan.web.state import DB

# 2024-01-15 is a Monday.
MONDAY = "2024-01-15"
PLANNING_TABLES = ("missions", "voyages", "voyage_competences", "chauffeurs",
                   "chauffeur_competences", "absences", "skills", "vehicules",
                   "vehicule_indisponibilites", "jours_valides")


async def created(response) -> dict:
    body = await response.json()
    assert response.status == 201, body
    assert response.headers["ETag"] == f'"{body["version"]}"'
    return body


async def make_chauffeur(api, nom: str = "DUPONT", prenom: str = "Jean", **fields) -> dict:
    return await created(await api.post("/chauffeurs", json={"nom": nom, "prenom": prenom, **fields}))


async def make_voyage(api, code: str = "PAR-01", **fields) -> dict:
    return await created(await api.post("/voyages", json={"code": code, **fields}))


async def make_mission(api, date_mission: str = MONDAY, destination: str = "Paris", query: str = "",
                       **fields) -> dict:
    return await created(await api.post(f"/missions{query}", json={
        "date_mission": date_mission, "destination": destination, **fields}))


async def add_absence(api, chauffeur_id: int, date_debut: str, date_fin: str, motif: str = "conge"
                      ) -> dict:
    return await created(await api.post(f"/chauffeurs/{chauffeur_id}/absences", json={
        "date_debut": date_debut, "date_fin": date_fin, "motif": motif}))


async def add_competence(api, chauffeur_id: int, code: str, date_expiration=None) -> dict:
    return await created(await api.post(f"/chauffeurs/{chauffeur_id}/competences", json={
        "code": code, "date_expiration": date_expiration}))


async def make_vehicule(api, immatriculation: str = "AB-123-CD", type: str = "tracteur",
                        **fields) -> dict:
    return await created(await api.post("/vehicules", json={
        "immatriculation": immatriculation, "type": type, **fields}))


async def add_indisponibilite(api, vehicule_id: int, date_debut: str, date_fin: str,
                              motif: str = "maintenance") -> dict:
    return await created(await api.post(f"/vehicules/{vehicule_id}/indisponibilites", json={
        "date_debut": date_debut, "date_fin": date_fin, "motif": motif}))


async def stored(client) -> dict:
    """Every row of the planning tables and the number of planning activity lines: compare
    before/after a refused request to prove nothing changed."""
    snapshot = {}
    async with client.app[DB].read() as session:
        for table in PLANNING_TABLES:
            snapshot[table] = await session.fetch_all(f"SELECT * FROM {table} ORDER BY 1")
        snapshot["activity_lines"] = await session.fetch_value(
            "SELECT count(*) FROM activity_log WHERE entity IN ('mission', 'voyage', 'chauffeur', "
            "'absence', 'competence', 'skill', 'vehicule', 'indisponibilite', 'jour')")
    return snapshot


async def skill_id(api, code: str) -> int:
    skills = await (await api.get("/competences")).json()
    return next(skill["id"] for skill in skills if skill["code"] == code)
