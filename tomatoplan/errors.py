"""Domain errors and their one HTTP shape: RFC 9457 problem details.

The data layer raises these errors and knows nothing of HTTP; `error_middleware` turns
them (and aiohttp's own HTTP errors) into `application/problem+json` with a stable `code`
and a French `detail`. Anything else is a bug: a generic 500, the traceback in the log.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Optional

from aiohttp import web

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ApiError(Exception):
    """An error the client can act on; `status`, `code` and `detail` reach it unchanged."""

    status = 400
    code = "bad_request"
    title = "Requête invalide"

    def __init__(self, detail: str, *, code: Optional[str] = None, headers: Optional[dict] = None,
                 **extra: Any):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.extra = extra


class BadRequest(ApiError):
    status, code, title = 400, "bad_request", "Requête invalide"


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "Authentification requise"


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "Accès refusé"


class NotFound(ApiError):
    status, code, title = 404, "not_found", "Introuvable"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "Conflit"


class PreconditionFailed(ApiError):
    status, code, title = 412, "precondition_failed", "Version périmée"


class PreconditionRequired(ApiError):
    status, code, title = 428, "precondition_required", "If-Match requis"


class ValidationFailed(ApiError):
    """422 with one entry per bad field: {"field", "code", "detail"}."""

    status, code, title = 422, "validation_error", "Données invalides"

    def __init__(self, errors: list[dict], detail: Optional[str] = None):
        fields = ", ".join(sorted({error["field"] for error in errors}))
        super().__init__(detail or f"Champs invalides : {fields}", errors=errors)
        self.errors = errors


class TooManyRequests(ApiError):
    status, code, title = 429, "too_many_requests", "Trop de tentatives"


class ServiceUnavailable(ApiError):
    status, code, title = 503, "unavailable", "Service indisponible"


def problem_response(status: int, code: str, title: str, detail: str,
                     headers: Optional[dict] = None, **extra: Any) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status, "code": code, "detail": detail}
    body.update(extra)
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False, default=str),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


# aiohttp's own errors (router, body size, methods) in the same shape and language.
_HTTP_PROBLEMS = {
    400: ("bad_request", "Requête invalide", "Requête HTTP invalide."),
    404: ("not_found", "Introuvable", "Aucune ressource à cette adresse."),
    405: ("method_not_allowed", "Méthode non permise", "Méthode non permise pour cette adresse."),
    413: ("payload_too_large", "Requête trop volumineuse",
          "Le corps de la requête dépasse la taille permise."),
    415: ("unsupported_media_type", "Type de contenu non supporté", "Envoyez du JSON (application/json)."),
}


def _from_http_exception(exc: web.HTTPException) -> web.Response:
    code, title, detail = _HTTP_PROBLEMS.get(
        exc.status, ("http_error", exc.reason, exc.reason)
    )
    headers = {}
    if exc.status == 405 and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    if exc.status == 413:
        detail = f"{detail} (maximum {exc.max_size} octets)" if hasattr(exc, "max_size") else detail
    return problem_response(exc.status, code, title, detail, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return problem_response(exc.status, exc.code, exc.title, exc.detail, headers=exc.headers,
                                **exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _from_http_exception(exc)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500, "internal_error", "Erreur interne",
                                "Erreur interne du serveur. L'incident est consigné dans le journal.")


async def read_json(request: web.Request) -> Any:
    """The request's JSON body; 400 when it is missing or not JSON, 413 when too large.

    The Content-Type is not checked: `curl -d` sends form encoding by default, and refusing
    it would only confuse a sysadmin; the body itself must be JSON.
    """
    raw = await request.read()
    if not raw.strip():
        raise BadRequest("Corps de requête JSON attendu.", code="body_missing")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        # "\ud800" parses into a string that cannot be stored or answered as UTF-8; only a
        # body with such an escape pays for the check.
        if _SURROGATE_ESCAPE.search(raw):
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        return body
    except UnicodeEncodeError:
        raise BadRequest("JSON mal formé : demi-paire UTF-16 isolée (\\ud800-\\udfff).",
                         code="malformed_json") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"JSON mal formé : {exc}", code="malformed_json") from None
    except RecursionError:
        raise BadRequest("JSON mal formé : imbrication trop profonde.", code="malformed_json") from None


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} n'est pas une valeur JSON permise")
