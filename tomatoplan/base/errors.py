"""The errors a client can act on, raised by every layer and shown by the web layer.

Each carries the HTTP `status`, a stable machine `code` and a French `detail`; the web
layer's error middleware turns them into RFC 9457 problem details. Nothing here knows HTTP
beyond those numbers.
"""

from __future__ import annotations

from typing import Any, Optional


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


class RequestTimeout(ApiError):
    status, code, title = 408, "request_timeout", "Requête trop lente"


class StaleReferences(ApiError):
    """409 for a request valid in itself that meets the data as it is now: it names a voyage,
    chauffeur or skill that does not exist (any more): `reference_not_found`; or it would
    leave a stored record inconsistent (an end before the stored start): `conflicts_with_stored`.
    One entry per field in `errors`, as a 422 has."""

    status, code, title = 409, "reference_not_found", "Données introuvables ou incohérentes"

    def __init__(self, errors: list[dict], detail: Optional[str] = None):
        fields = ", ".join(sorted({error["field"] for error in errors}))
        missing = all(error["code"] == "not_found" for error in errors)
        super().__init__(detail or (f"Introuvable : {fields}" if missing else
                                    f"Incohérent avec l'enregistrement stocké : {fields}"),
                         code=None if missing else "conflicts_with_stored", errors=errors)
        self.errors = errors


def raise_if_stale(errors: list) -> None:
    """409 listing what the stored data contradicts, when there is something."""
    if errors:
        raise StaleReferences(errors)


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


class InsufficientStorage(ApiError):
    status, code, title = 507, "disk_full", "Espace disque insuffisant"


def invalid(field: str, code: str, detail: str) -> dict:
    """One entry of a 422's `errors`: {"field", "code", "detail"}."""
    return {"field": field, "code": code, "detail": detail}


def raise_if_invalid(errors: list) -> None:
    """422 listing every bad field, when there is one."""
    if errors:
        raise ValidationFailed(errors)
