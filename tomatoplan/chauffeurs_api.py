"""Routes of the chauffeurs, their absences and skills, availability, and the skills catalogue."""

from __future__ import annotations

from aiohttp import web

from . import assignment, chauffeurs, keys, planning
from .api import array_of, endpoint, if_match_version, list_response, path_id, record_response, url
from .auth import current_auth
from .errors import ValidationFailed
from .permissions import Permission
from .planning_http import (
    HISTORY_SCHEMA,
    can_read_finance,
    history_response,
    id_field,
    path_date,
    read_body,
    record_schema,
)
from .schema import PAGING, Boolean, Choice, Date, Query, Schema, Text

routes = web.RouteTableDef()
TAG = "Chauffeurs"
TAG_SKILLS = "Compétences (catalogue)"

SKILL_CODE_PATTERN = r"[A-Z][A-Z0-9_]*"

# --- schemas ---------------------------------------------------------------------------------

CHAUFFEUR_BODY = Schema("Chauffeur", {
    "nom": Text("Nom", required=True, min_length=1, max_length=100, example="DUPONT"),
    "prenom": Text("Prénom", required=True, min_length=1, max_length=100, example="Jean"),
    "matricule": Text("Matricule (unique quand il est donné)", min_length=1, max_length=50,
                      nullable=True, example="M-0042"),
    "telephone": Text("Téléphone", max_length=40, nullable=True),
    "email": Text("Adresse e-mail", max_length=254, nullable=True,
                  pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+"),
    "actif": Boolean("Actif (un chauffeur inactif ne peut pas être affecté)", default=True),
    "notes": Text("Notes", max_length=2000, nullable=True),
})
HELD_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "code": {"type": "string"},
    "date_expiration": {"type": ["string", "null"], "format": "date"}}}
CHAUFFEUR_SCHEMA = record_schema(CHAUFFEUR_BODY, {
    "competences": {**array_of(HELD_SCHEMA), "readOnly": True,
                    "description": "Compétences détenues (sous-ressource /competences)"}})
CHAUFFEURS_QUERY = Query({"actif": Boolean("Seulement les actifs (true) ou les inactifs (false)"),
                          **PAGING})

ABSENCE_BODY = Schema("Absence", {
    "date_debut": Date("Premier jour d'absence", required=True, example="2024-01-15"),
    "date_fin": Date("Dernier jour d'absence (inclus)", required=True, example="2024-01-19"),
    "motif": Choice(("conge", "maladie", "formation", "autre"), "Motif", default="autre"),
    "commentaire": Text("Commentaire", max_length=2000, nullable=True),
})
ABSENCE_SCHEMA = record_schema(ABSENCE_BODY, {"chauffeur_id": {"type": "integer", "readOnly": True}})
ABSENCES_QUERY = Query({"date_debut": Date("Absences qui finissent ce jour ou après"),
                        "date_fin": Date("Absences qui commencent ce jour ou avant"), **PAGING})

COMPETENCE_BODY = Schema("Competence", {
    "code": Text("Code du catalogue (GET /competences)", required=True, min_length=1, max_length=40,
                 pattern=SKILL_CODE_PATTERN, example="ADR"),
    "date_expiration": Date("Dernier jour de validité (null : sans fin)", nullable=True,
                            example="2026-06-30"),
})
COMPETENCE_SCHEMA = record_schema(COMPETENCE_BODY,
                                  {"chauffeur_id": {"type": "integer", "readOnly": True}})

SKILL_CREATE = Schema("Skill", {
    "code": Text("Code (majuscules, chiffres, _), qui ne change plus", required=True, min_length=1,
                 max_length=40, pattern=SKILL_CODE_PATTERN, example="HAYON"),
    "libelle": Text("Libellé", max_length=200, example="Conduite avec hayon élévateur"),
})
SKILL_UPDATE = Schema("SkillUpdate", {"libelle": SKILL_CREATE.fields["libelle"]})
SKILL_SCHEMA = record_schema(SKILL_CREATE)

AVAILABILITY_QUERY = Query({
    "voyage_id": id_field("Seulement ceux qui ont les compétences du voyage (valides à la date) "
                          "et sont libres à ses heures"),
    "tous": Boolean("Inclure aussi les indisponibles, avec leurs raisons", default=False),
})
AVAILABILITY_SCHEMA = array_of({**CHAUFFEUR_SCHEMA, "properties": {
    **CHAUFFEUR_SCHEMA["properties"],
    "disponible": {"type": "boolean"},
    "raisons": array_of({"type": "object", "properties": {
        "code": {"type": "string", "enum": ["chauffeur_inactif", "chauffeur_absent",
                                            "competence_manquante", "competence_expiree",
                                            "chevauchement"]},
        "detail": {"type": "string"}}}),
    "missions": array_of({"type": "object", "description": "Missions déjà données ce jour-là"}),
}})


def _actor(request: web.Request):
    return current_auth(request).actor


def _db(request: web.Request):
    return request.app[keys.DB]


# --- chauffeurs ----------------------------------------------------------------------------

@routes.get("/chauffeurs", name="chauffeurs")
@endpoint(Permission.READ_PLANNING, "Liste des chauffeurs", tag=TAG, query=CHAUFFEURS_QUERY,
          responses={200: ("Chauffeurs par nom (total dans X-Total-Count)", array_of(CHAUFFEUR_SCHEMA),
                           "application/json")})
async def list_chauffeurs(request: web.Request) -> web.Response:
    query = CHAUFFEURS_QUERY.validate(request.query)
    found, total = await chauffeurs.list_chauffeurs(_db(request), actif=query.get("actif"),
                                                    limit=query["limit"], offset=query["offset"])
    return list_response(found, total)


@routes.post("/chauffeurs", name="chauffeur_create")
@endpoint(Permission.WRITE_CHAUFFEURS, "Créer un chauffeur", tag=TAG,
          description="Matricule unique quand il est donné (409 sinon).",
          body=CHAUFFEUR_BODY, errors=(409,),
          responses={201: ("Chauffeur créé (version dans ETag)", CHAUFFEUR_SCHEMA, "application/json")})
async def create_chauffeur(request: web.Request) -> web.Response:
    fields = await read_body(request, CHAUFFEUR_BODY)
    created = await chauffeurs.create_chauffeur(_db(request), _actor(request), fields)
    return record_response(created, status=201, location=url(request, "chauffeur", id=created["id"]))


@routes.get("/chauffeurs/disponibles/{date}", name="chauffeurs_available")
@endpoint(Permission.READ_PLANNING, "Chauffeurs disponibles à une date", tag=TAG,
          description="Chauffeurs actifs sans absence ce jour-là, chacun avec les missions qu'il a déjà "
                      "ce jour-là. `voyage_id` : seulement ceux qui ont les compétences du voyage, "
                      "valides à la date, et n'ont pas de mission qui chevauche ses heures. `tous=true` : "
                      "aussi les autres, avec `disponible: false` et leurs `raisons`.",
          query=AVAILABILITY_QUERY,
          responses={200: ("Chauffeurs par nom (total dans X-Total-Count)", AVAILABILITY_SCHEMA,
                           "application/json")})
async def available_chauffeurs(request: web.Request) -> web.Response:
    day = path_date(request)
    query = AVAILABILITY_QUERY.validate(request.query)
    found = await assignment.available_drivers(_db(request), day, voyage_id=query.get("voyage_id"),
                                               tous=query["tous"])
    return list_response(found, len(found))


@routes.get(r"/chauffeurs/{id:\d{1,19}}", name="chauffeur")
@endpoint(Permission.READ_PLANNING, "Détail d'un chauffeur", tag=TAG,
          responses={200: ("Chauffeur (version dans ETag)", CHAUFFEUR_SCHEMA, "application/json")})
async def get_chauffeur(request: web.Request) -> web.Response:
    return record_response(await chauffeurs.get_chauffeur(_db(request), path_id(request)))


@routes.put(r"/chauffeurs/{id:\d{1,19}}", name="chauffeur_update")
@endpoint(Permission.WRITE_CHAUFFEURS, "Modifier un chauffeur (champs donnés seulement)", tag=TAG,
          description="Corps partiel ; `If-Match` avec l'ETag du GET (412 si périmé).",
          body=CHAUFFEUR_BODY, body_partial=True, etag=True, errors=(409, 412),
          responses={200: ("Chauffeur modifié", CHAUFFEUR_SCHEMA, "application/json")})
async def update_chauffeur(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    expected = if_match_version(request)
    changes = await read_body(request, CHAUFFEUR_BODY, partial=True)
    return record_response(await chauffeurs.update_chauffeur(_db(request), _actor(request),
                                                             chauffeur_id, changes, expected))


@routes.delete(r"/chauffeurs/{id:\d{1,19}}", name="chauffeur_delete")
@endpoint(Permission.WRITE_CHAUFFEURS, "Supprimer un chauffeur", tag=TAG,
          description="Un chauffeur que des missions nomment est désactivé, pas effacé (200 avec le "
                      "chauffeur) ; sinon il est effacé avec ses absences et compétences (204).",
          etag=True, errors=(412,),
          responses={200: ("Chauffeur désactivé (des missions le nomment)", CHAUFFEUR_SCHEMA,
                           "application/json"),
                     204: ("Chauffeur effacé", None, None)})
async def delete_chauffeur(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    expected = if_match_version(request)
    kept = await chauffeurs.delete_chauffeur(_db(request), _actor(request), chauffeur_id, expected)
    return record_response(kept) if kept is not None else web.Response(status=204)


@routes.get(r"/chauffeurs/{id:\d{1,19}}/history", name="chauffeur_history")
@endpoint(Permission.READ_HISTORY, "Historique d'un chauffeur", tag=TAG,
          responses={200: ("Historique, du plus ancien au plus récent", HISTORY_SCHEMA,
                           "application/json")})
async def chauffeur_history(request: web.Request) -> web.Response:
    lines = await planning.history(_db(request), "chauffeur", path_id(request),
                                   finance=can_read_finance(request))
    return history_response(lines)


# --- absences ------------------------------------------------------------------------------

@routes.get(r"/chauffeurs/{id:\d{1,19}}/absences", name="absences")
@endpoint(Permission.READ_PLANNING, "Absences d'un chauffeur", tag=TAG, query=ABSENCES_QUERY,
          responses={200: ("Absences, les plus récentes d'abord", array_of(ABSENCE_SCHEMA),
                           "application/json")})
async def list_absences(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    query = ABSENCES_QUERY.validate(request.query)
    debut, fin = query.get("date_debut"), query.get("date_fin")
    if debut and fin and fin < debut:
        raise ValidationFailed([{"field": "date_fin", "code": "before_start",
                                 "detail": "date_fin précède date_debut."}])
    found, total = await chauffeurs.list_absences(
        _db(request), chauffeur_id, date_debut=debut and debut.isoformat(),
        date_fin=fin and fin.isoformat(), limit=query["limit"], offset=query["offset"])
    return list_response(found, total)


@routes.post(r"/chauffeurs/{id:\d{1,19}}/absences", name="absence_create")
@endpoint(Permission.WRITE_CHAUFFEURS, "Déclarer une absence", tag=TAG,
          description="Du `date_debut` au `date_fin` inclus. Les missions déjà affectées ces jours-là "
                      "ne sont pas modifiées : la liste des disponibilités les montre.",
          body=ABSENCE_BODY,
          responses={201: ("Absence créée (version dans ETag)", ABSENCE_SCHEMA, "application/json")})
async def create_absence(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    fields = await read_body(request, ABSENCE_BODY)
    created = await chauffeurs.create_absence(_db(request), _actor(request), chauffeur_id, fields)
    return record_response(created, status=201, location=url(
        request, "absence", id=chauffeur_id, absence_id=created["id"]))


@routes.get(r"/chauffeurs/{id:\d{1,19}}/absences/{absence_id:\d{1,19}}", name="absence")
@endpoint(Permission.READ_PLANNING, "Détail d'une absence", tag=TAG,
          responses={200: ("Absence (version dans ETag)", ABSENCE_SCHEMA, "application/json")})
async def get_absence(request: web.Request) -> web.Response:
    return record_response(await chauffeurs.get_absence(_db(request), path_id(request),
                                                        path_id(request, "absence_id")))


@routes.put(r"/chauffeurs/{id:\d{1,19}}/absences/{absence_id:\d{1,19}}", name="absence_update")
@endpoint(Permission.WRITE_CHAUFFEURS, "Modifier une absence", tag=TAG,
          description="Corps partiel ; `If-Match` avec l'ETag du GET (412 si périmé).",
          body=ABSENCE_BODY, body_partial=True, etag=True, errors=(412,),
          responses={200: ("Absence modifiée", ABSENCE_SCHEMA, "application/json")})
async def update_absence(request: web.Request) -> web.Response:
    chauffeur_id, absence_id = path_id(request), path_id(request, "absence_id")
    expected = if_match_version(request)
    changes = await read_body(request, ABSENCE_BODY, partial=True)
    return record_response(await chauffeurs.update_absence(
        _db(request), _actor(request), chauffeur_id, absence_id, changes, expected))


@routes.delete(r"/chauffeurs/{id:\d{1,19}}/absences/{absence_id:\d{1,19}}", name="absence_delete")
@endpoint(Permission.WRITE_CHAUFFEURS, "Supprimer une absence", tag=TAG, etag=True, errors=(412,),
          responses={204: ("Absence supprimée", None, None)})
async def delete_absence(request: web.Request) -> web.Response:
    chauffeur_id, absence_id = path_id(request), path_id(request, "absence_id")
    expected = if_match_version(request)
    await chauffeurs.delete_absence(_db(request), _actor(request), chauffeur_id, absence_id, expected)
    return web.Response(status=204)


# --- a chauffeur's skills ------------------------------------------------------------------

@routes.get(r"/chauffeurs/{id:\d{1,19}}/competences", name="competences")
@endpoint(Permission.READ_PLANNING, "Compétences d'un chauffeur", tag=TAG,
          responses={200: ("Compétences par code", array_of(COMPETENCE_SCHEMA), "application/json")})
async def list_competences(request: web.Request) -> web.Response:
    found = await chauffeurs.list_competences(_db(request), path_id(request))
    return list_response(found, len(found))


@routes.post(r"/chauffeurs/{id:\d{1,19}}/competences", name="competence_create")
@endpoint(Permission.WRITE_CHAUFFEURS, "Donner une compétence à un chauffeur", tag=TAG,
          description="Code pris dans le catalogue (422 sinon) ; une seule fois par chauffeur (409).",
          body=COMPETENCE_BODY, errors=(409,),
          responses={201: ("Compétence ajoutée (version dans ETag)", COMPETENCE_SCHEMA,
                           "application/json")})
async def create_competence(request: web.Request) -> web.Response:
    chauffeur_id = path_id(request)
    fields = await read_body(request, COMPETENCE_BODY)
    created = await chauffeurs.create_competence(_db(request), _actor(request), chauffeur_id, fields)
    return record_response(created, status=201, location=url(
        request, "competence", id=chauffeur_id, competence_id=created["id"]))


@routes.get(r"/chauffeurs/{id:\d{1,19}}/competences/{competence_id:\d{1,19}}", name="competence")
@endpoint(Permission.READ_PLANNING, "Détail d'une compétence d'un chauffeur", tag=TAG,
          responses={200: ("Compétence (version dans ETag)", COMPETENCE_SCHEMA, "application/json")})
async def get_competence(request: web.Request) -> web.Response:
    return record_response(await chauffeurs.get_competence(_db(request), path_id(request),
                                                           path_id(request, "competence_id")))


@routes.put(r"/chauffeurs/{id:\d{1,19}}/competences/{competence_id:\d{1,19}}",
            name="competence_update")
@endpoint(Permission.WRITE_CHAUFFEURS, "Modifier une compétence d'un chauffeur", tag=TAG,
          description="Corps partiel (souvent la seule `date_expiration`) ; `If-Match` (412 si périmé).",
          body=COMPETENCE_BODY, body_partial=True, etag=True, errors=(409, 412),
          responses={200: ("Compétence modifiée", COMPETENCE_SCHEMA, "application/json")})
async def update_competence(request: web.Request) -> web.Response:
    chauffeur_id, competence_id = path_id(request), path_id(request, "competence_id")
    expected = if_match_version(request)
    changes = await read_body(request, COMPETENCE_BODY, partial=True)
    return record_response(await chauffeurs.update_competence(
        _db(request), _actor(request), chauffeur_id, competence_id, changes, expected))


@routes.delete(r"/chauffeurs/{id:\d{1,19}}/competences/{competence_id:\d{1,19}}",
               name="competence_delete")
@endpoint(Permission.WRITE_CHAUFFEURS, "Retirer une compétence à un chauffeur", tag=TAG, etag=True,
          errors=(412,), responses={204: ("Compétence retirée", None, None)})
async def delete_competence(request: web.Request) -> web.Response:
    chauffeur_id, competence_id = path_id(request), path_id(request, "competence_id")
    expected = if_match_version(request)
    await chauffeurs.delete_competence(_db(request), _actor(request), chauffeur_id, competence_id,
                                       expected)
    return web.Response(status=204)


# --- the skills catalogue ------------------------------------------------------------------

@routes.get("/competences", name="skills")
@endpoint(Permission.READ_PLANNING, "Catalogue des compétences", tag=TAG_SKILLS,
          responses={200: ("Compétences par code", array_of(SKILL_SCHEMA), "application/json")})
async def list_skills(request: web.Request) -> web.Response:
    found = await chauffeurs.list_skills(_db(request))
    return list_response(found, len(found))


@routes.post("/competences", name="skill_create")
@endpoint(Permission.WRITE_CHAUFFEURS, "Ajouter une compétence au catalogue", tag=TAG_SKILLS,
          description="Code unique (409 sinon), en majuscules, qui ne change plus ensuite.",
          body=SKILL_CREATE, errors=(409,),
          responses={201: ("Compétence ajoutée (version dans ETag)", SKILL_SCHEMA, "application/json")})
async def create_skill(request: web.Request) -> web.Response:
    fields = await read_body(request, SKILL_CREATE)
    created = await chauffeurs.create_skill(_db(request), _actor(request), fields)
    return record_response(created, status=201, location=url(request, "skill", id=created["id"]))


@routes.get(r"/competences/{id:\d{1,19}}", name="skill")
@endpoint(Permission.READ_PLANNING, "Détail d'une compétence du catalogue", tag=TAG_SKILLS,
          responses={200: ("Compétence (version dans ETag)", SKILL_SCHEMA, "application/json")})
async def get_skill(request: web.Request) -> web.Response:
    return record_response(await chauffeurs.get_skill(_db(request), path_id(request)))


@routes.put(r"/competences/{id:\d{1,19}}", name="skill_update")
@endpoint(Permission.WRITE_CHAUFFEURS, "Renommer une compétence du catalogue", tag=TAG_SKILLS,
          description="Seul le libellé change ; `If-Match` (412 si périmé).",
          body=SKILL_UPDATE, body_partial=True, etag=True, errors=(412,),
          responses={200: ("Compétence modifiée", SKILL_SCHEMA, "application/json")})
async def update_skill(request: web.Request) -> web.Response:
    skill_id = path_id(request)
    expected = if_match_version(request)
    changes = await read_body(request, SKILL_UPDATE, partial=True)
    return record_response(await chauffeurs.update_skill(_db(request), _actor(request), skill_id,
                                                         changes, expected))


@routes.delete(r"/competences/{id:\d{1,19}}", name="skill_delete")
@endpoint(Permission.WRITE_CHAUFFEURS, "Retirer une compétence du catalogue", tag=TAG_SKILLS,
          description="Refusé (409) tant qu'un chauffeur la détient ou qu'un voyage la demande.",
          etag=True, errors=(409, 412), responses={204: ("Compétence retirée", None, None)})
async def delete_skill(request: web.Request) -> web.Response:
    skill_id = path_id(request)
    expected = if_match_version(request)
    await chauffeurs.delete_skill(_db(request), _actor(request), skill_id, expected)
    return web.Response(status=204)


def setup(app: web.Application) -> None:
    app.add_routes(routes)
