"""What every response goes through: the one error shape, and the security headers.

`error_middleware` turns the errors of every layer (`base.errors.ApiError`) and aiohttp's
own HTTP errors into RFC 9457 problem details (`application/problem+json`) with a stable
`code` and a French `detail`. Anything else is a bug: a generic 500, the traceback in the log.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Optional

from aiohttp import web

from ..base.errors import ApiError
from ..base.logs import Bursts

log = logging.getLogger(__name__)
# Clients that left mid-request, for one log line per address and minute.
LEFT_EARLY = web.AppKey("left_early", Bursts)

PROBLEM_CONTENT_TYPE = "application/problem+json"
CLIENT_CLOSED = 499


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
        response = problem_response(exc.status, exc.code, exc.title, exc.detail,
                                    headers=exc.headers, **exc.extra)
        if exc.headers.get("Connection") == "close":
            response.force_close()
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _from_http_exception(exc)
    except ConnectionError as exc:
        if request.transport is not None and not request.transport.is_closing():
            log.exception("unhandled error on %s %s", request.method, request.path)
            return _internal_error()
        # The client went away mid-request (a closed upload, a killed PTT): nothing to answer,
        # nothing broken. 499 is what nginx logs for it.
        # One line per address and minute: a client that opens and drops connections in a
        # loop cannot fill the log (the access log keeps one 499 line per request).
        held = request.app[LEFT_EARLY].check(request.remote)
        if held is not None:
            log.info("client %s left during %s %s (%s)%s", request.remote, request.method,
                     request.path, exc, f" ({held} more from it in the last minute)" if held else "")
        return web.Response(status=CLIENT_CLOSED, reason="Client Closed Request")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _internal_error()


def _internal_error() -> web.Response:
    return problem_response(500, "internal_error", "Erreur interne",
                            "Erreur interne du serveur. L'incident est consigné dans le journal.")


@web.middleware
async def security_headers_middleware(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
