"""TomatoPlan's client for PTT: one file, the standard library only, Python 3.9 or later.

Copy it next to PTT (the server serves it at /client.py, saved as tomatoplan_client.py):

    from tomatoplan_client import TomatoPlanClient
    client = TomatoPlanClient("http://serveur:8000")
    client.login()                    # the Windows user and PC name; or login("JEAN.DUPONT")
    missions = client.get_missions_by_date("2024-01-15")

Methods return the server's JSON (dicts, lists). A list comes whole (page_size a request, up to
X-Total-Count) unless limit=N: then one page from `offset`. update_* and delete_* take the record
as read (its `version` goes into If-Match: a colleague's change in between raises ConflictError
412, the stored record in `.current`), or an id with version=N (or overwrite=True, on purpose).

This module is longer than the project's 300 lines: it is the one file PTT's developers copy
alone, so it cannot be split.
"""

from __future__ import annotations

import contextlib
import getpass
import http.client
import json
import os
import re
import socket
import time
import urllib.parse
from typing import Any, Iterator, Optional


class TomatoPlanError(Exception):
    """Refused by the server, or no server: `status` (None: no answer), `code`, `detail` (the
    server's French message, fit to show), `problem` (its problem+json answer), and from it
    `errors` (one per bad field: 422, 409), `problems` (refused assignment: 409), `current` (412)."""

    def __init__(self, detail: str, status: Optional[int] = None, code: str = "network_error",
                 problem: Optional[dict] = None):
        super().__init__(detail)
        self.detail, self.status, self.code, self.problem = detail, status, code, problem or {}
        self.errors, self.problems = self.problem.get("errors") or [], self.problem.get("problems") or []
        self.current = self.problem.get("current")


class NetworkError(TomatoPlanError):
    """No answer: server unreachable, connection cut, or timeout (`code` "timeout")."""


class AuthError(TomatoPlanError):
    """401: unknown or inactive user; session expired or revoked, and logging in again failed."""


class ForbiddenError(TomatoPlanError):
    """403: the role may not do that (or this address may not reach the server)."""


class NotFoundError(TomatoPlanError):
    """404: no such record."""


class ConflictError(TomatoPlanError):
    """409 (refused assignment: `problems`; missing reference: `errors`) or 412 (stale: `current`)."""


class ValidationError(TomatoPlanError):
    """422: `errors` has one {"field", "code", "detail"} per bad field."""


class ServerError(TomatoPlanError):
    """5xx: internal error, server unavailable (503), disk full (507)."""


_ERRORS = {401: AuthError, 403: ForbiddenError, 404: NotFoundError, 409: ConflictError,
           412: ConflictError, 422: ValidationError}


def _error(status: int, answer: Any) -> TomatoPlanError:
    if not isinstance(answer, dict):  # not the server's own answer (a proxy's page...)
        answer = {"detail": answer.decode("utf-8", "replace").strip()[:300] if answer else ""}
    kind = _ERRORS.get(status) or (ServerError if status >= 500 else TomatoPlanError)
    return kind(answer.get("detail") or f"Erreur {status}", status, answer.get("code", "http_error"), answer)


def _query(values: dict) -> str:
    kept = {name: str(value).lower() if isinstance(value, bool) else
            ",".join(map(str, value)) if isinstance(value, (list, tuple, set)) else str(value)
            for name, value in values.items() if value is not None}
    return "?" + urllib.parse.urlencode(kept) if kept else ""


def _path(template: str, ids: tuple) -> str:
    if len(ids) != template.count("{}"):
        raise TypeError(f"{template}: {template.count('{}')} id(s) expected, got {len(ids)}")
    return template.format(*(urllib.parse.quote(str(part), safe="") for part in ids))


def _routed(verb: str, template: str, doc: Optional[str] = None) -> Any:
    """Mark a method with its route (the tests compare them with /openapi.json)."""
    def mark(method: Any) -> Any:
        method.route, method.__doc__ = (verb, template), f"{doc or method.__doc__}\n\n{verb} {template}"
        return method
    return mark


def _route(verb: str, path: str, doc: str, body: bool = False, paged: bool = False, limit: int = 0,
           versioned: bool = False) -> Any:
    """A method for one route. Positional arguments fill the path's {}: the last may be the record
    as read, its `version` going into If-Match (or version=N); then with `body` comes the body (a
    dict, or bytes). Keyword arguments make the query string; `paged`: every page unless limit=N.
    `versioned` (a record's update, delete): the version read is required, or overwrite=True."""
    def method(self: TomatoPlanClient, *args: Any, version: Optional[int] = None,
               overwrite: bool = False, **query: Any) -> Any:
        ids, sent = (args[:-1], args[-1]) if body else (args, None)
        if ids and isinstance(ids[-1], dict):
            ids, version = (*ids[:-1], ids[-1]["id"]), ids[-1].get("version") if version is None else version
        if versioned and version is None and not overwrite:
            raise ValueError("Donnez l'enregistrement lu, ou version=N : sa version part dans "
                             "If-Match (overwrite=True : écraser ce qui est enregistré).")
        if paged:
            size, offset = query.pop("limit", limit or None), query.pop("offset", 0)
            return self._list(_path(path, ids), query, size, offset)
        headers = {} if version is None else {"If-Match": f'"{version}"'}
        return self._request(verb, _path(path, ids) + _query(query), sent, headers)[1]
    return _routed(verb, path, doc)(method)


class TomatoPlanClient:
    """One server's API; after a 401 it logs in again, once, and retries; threads may share it."""

    def __init__(self, base_url: str, *, connect_timeout: float = 5.0, timeout: float = 30.0,
                 events_timeout: float = 60.0, page_size: int = 1000):
        """Timeouts in seconds (events: the server pings every 15 s); page_size: records a request."""
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Adresse du serveur invalide : {base_url!r} (ex. http://serveur:8000)")
        self.base_url, self._parts, self._prefix = base_url.rstrip("/"), parts, parts.path.rstrip("/")
        self.connect_timeout, self.timeout, self.events_timeout = connect_timeout, timeout, events_timeout
        self._token, self._identity, self.user, self.page_size = None, None, None, page_size

    @_routed("POST", "/auth/login")
    def login(self, username: Optional[str] = None, hostname: Optional[str] = None) -> dict:
        """Open a session as `username` from `hostname`: by default the Windows user (USERNAME)
        and the PC's name. Answers {"access_token", "expires_at", "user"}."""
        username = username or os.environ.get("USERNAME") or getpass.getuser()
        hostname = re.sub(r"[^A-Za-z0-9._-]", "-", hostname or socket.gethostname()).lstrip("._-")[:253]
        answer = self._request("POST", "/auth/login", {"username": username, "hostname": hostname})[1]
        self._token, self._identity, self.user = answer["access_token"], (username, hostname), answer["user"]
        return answer

    @_routed("POST", "/auth/logout")
    def logout(self) -> None:
        """Close the session on the server."""
        self._request("POST", "/auth/logout")
        self._token = self._identity = None

    # The planning (list, get, create, update, delete of each record: _RECORDS), statistics, admin, server.
    me = _route("GET", "/auth/me", "L'utilisateur connecté : rôle, permissions, session.")
    get_missions_by_date = _route("GET", "/missions/by-date/{}", "Les missions d'un jour.", paged=True)
    update_mission_finance = _route("PUT", "/missions/{}/finance", "Prix et coût d'une mission.", body=True,
                                    versioned=True)
    get_missions_csv = _route("GET", "/missions.csv", "Missions en CSV pour Excel (octets), filtrées.")
    get_mission_history, get_voyage_history, get_chauffeur_history, get_vehicule_history = (
        _route("GET", f"/{plural}/{{}}/history", f"Historique d'un enregistrement ({plural}).")
        for plural in ("missions", "voyages", "chauffeurs", "vehicules"))
    generate_missions = _route("POST", "/missions/generate", "Générer les missions des voyages.", body=True)
    copy_missions = _route("POST", "/missions/copy", "Copier les missions d'un jour sur un autre.", body=True)
    get_jour = _route("GET", "/jours/{}", "Un jour : validé ou non, par qui, quand.")
    validate_jour, reopen_jour = (_route(verb, "/jours/{}/validation", doc) for verb, doc in (
        ("POST", "Valider un jour (planner_advanced, admin)."), ("DELETE", "Rouvrir un jour validé.")))
    get_chauffeurs_disponibles = _route("GET", "/chauffeurs/disponibles/{}", "Chauffeurs libres un jour.")
    get_vehicules_disponibles = _route("GET", "/vehicules/disponibles/{}", "Véhicules libres un jour.")
    get_dashboard = _route("GET", "/stats/dashboard", "Tableau de bord (date=... pour un autre jour).")
    get_recent_activity = _route("GET", "/stats/activity/recent", "Journal d'activité (100 lignes ; "
                                 "limit=None : tout).", paged=True, limit=100)
    get_activity_by_user = _route("GET", "/stats/activity/by-user", "Actions par utilisateur.")
    get_sessions = _route("GET", "/admin/sessions", "Sessions ouvertes.", paged=True)
    revoke_session = _route("DELETE", "/admin/sessions/{}", "Révoquer une session.")
    get_backups = _route("GET", "/admin/backups", "Sauvegardes, la plus récente d'abord.")
    get_backup = _route("GET", "/admin/backups/{}", "Description d'une sauvegarde.")
    get_backup_live_counts = _route("GET", "/admin/backups/live-counts", "Lignes de la base en service.")
    create_backup = _route("POST", "/admin/backups", "Sauvegarder maintenant (description=...).")
    restore_backup = _route("POST", "/admin/backups/restore/{}", "Restaurer une sauvegarde.")
    delete_backup = _route("DELETE", "/admin/backups/{}", "Supprimer une sauvegarde.")
    download_backup = _route("GET", "/admin/backups/{}/download", "Le fichier d'une sauvegarde (bytes).")
    upload_backup = _route("POST", "/admin/backups/upload", "Importer une sauvegarde (bytes).", body=True)
    get_config = _route("GET", "/admin/config", "Configuration en vigueur.")
    update_config = _route("PATCH", "/admin/config", "Modifier des réglages sans redémarrer.", body=True)
    get_server_log = _route("GET", "/admin/server-log", "Journal du serveur (apres, limit, niveau).")
    health = _route("GET", "/health", "État du serveur (sans connexion).")
    get_openapi = _route("GET", "/openapi.json", "Le document OpenAPI de l'API.")

    @_routed("GET", "/events")
    def events(self, topics: Any = None, last_event_id: Optional[int] = None, *,
               min_delay: float = 0.5, max_delay: float = 30.0) -> Iterator[dict]:
        """Each change once committed ({"event": "change", "id", "action", "entity", "entity_id",
        "record"...}), after `last_event_id` if given; reconnects by itself (min_delay, doubled up
        to max_delay) with Last-Event-ID, missing nothing. {"event": "resync", "reason"}: reload
        everything (after a restore, or a reconnection before any event told where to resume)."""
        url, last, delay, opened, refused = "/events" + _query({"topics": topics}), last_event_id, \
            min_delay, False, None
        while True:
            try:
                if refused is not None:
                    self._relogin(refused)
                token, headers = self._token, {**self._headers(), "Accept": "text/event-stream"}
                headers.update({} if last is None else {"Last-Event-ID": str(last)})
                with self._open("GET", url, None, headers, self.events_timeout) as response:
                    if response.status != 200:
                        raise _error(response.status, _read(response))
                    if opened and last is None:
                        yield {"event": "resync", "reason": "reconnected"}
                    opened, delay, refused, kind = True, min_delay, None, "message"
                    for raw in response:  # the server writes `id:`, `event:`, one `data:` line
                        field, _, value = raw.decode("utf-8").partition(":")
                        if field == "event":
                            kind = value.strip()
                        elif field == "data":
                            event = {"event": kind, **json.loads(value)}
                            last = event["id"] if kind == "change" else last
                            yield event
            except AuthError:
                if refused is not None or self._identity is None:
                    raise
                refused = token  # log in again, once
                continue
            except TomatoPlanError as exc:  # no server, or 429: too many streams open, wait
                if not isinstance(exc, (NetworkError, ServerError)) and exc.status != 429:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, max_delay)

    def _headers(self) -> dict:
        headers = {"Accept": "application/json", "User-Agent": "TomatoPlanClient (PTT)"}
        return {**headers, "Authorization": f"Bearer {self._token}"} if self._token else headers

    def _relogin(self, refused_token: Optional[str]) -> None:
        if self._token == refused_token:  # not done meanwhile by another thread
            self.login(*self._identity)  # type: ignore[misc]

    def _list(self, path: str, filters: dict, limit: Optional[int], offset: int) -> list:
        items: list = []
        while True:
            query = _query({**filters, "limit": limit or self.page_size, "offset": offset + len(items)})
            total, page = self._request("GET", path + query)
            items.extend(page)
            if limit is not None or not page or offset + len(items) >= total:
                return items

    def _request(self, verb: str, url: str, body: Any = None, headers: Optional[dict] = None) -> tuple:
        """(X-Total-Count, the answer); after a 401, one new login and one retry."""
        token, sent = self._token, {**self._headers(), **(headers or {})}
        if body is not None and not isinstance(body, bytes):
            body, sent["Content-Type"] = json.dumps(body).encode("utf-8"), "application/json"
        for attempt in (1, 2):
            with self._open(verb, url, body, sent, self.timeout) as response:
                status, answer = response.status, _read(response)
                total = int(response.headers.get("X-Total-Count") or 0)
            if status != 401 or attempt == 2 or not (token and self._identity) or url == "/auth/login":
                break
            self._relogin(token)  # a refused login raises its own AuthError
            sent.update(self._headers())
        if status >= 400:
            raise _error(status, answer)
        return total, answer

    @contextlib.contextmanager
    def _open(self, verb: str, url: str, body: Optional[bytes], headers: dict,
              timeout: float) -> Iterator[http.client.HTTPResponse]:
        """The answer, within connect_timeout to connect, then `timeout` of silence at most."""
        kind = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(self._parts.hostname, self._parts.port, timeout=self.connect_timeout)
        try:
            connection.connect()
            connection.sock.settimeout(timeout)
            connection.request(verb, self._prefix + url, body=body, headers=headers)
            yield connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            late = isinstance(exc, socket.timeout)
            raise NetworkError(f"Serveur TomatoPlan {self.base_url} : " + (
                "pas de réponse dans le délai." if late else f"injoignable ({exc})."),
                code="timeout" if late else "network_error") from exc
        finally:
            connection.close()


def _read(response: http.client.HTTPResponse) -> Any:
    raw = response.read()
    return json.loads(raw) if raw and "json" in response.headers.get("Content-Type", "") else raw or None


# Each kind of record: get_<plural> (the list), get_<name>, create_<name>, update_<name>, delete_<name>.
_RECORDS = [("mission", "/missions", "Missions (force=True : passer outre un 409)", True),
            ("voyage", "/voyages", "Voyages", True), ("chauffeur", "/chauffeurs", "Chauffeurs", True),
            ("absence", "/chauffeurs/{}/absences", "Absences (le chauffeur d'abord)", True),
            ("chauffeur_competence", "/chauffeurs/{}/competences", "Compétences d'un chauffeur", False),
            ("competence", "/competences", "Catalogue des compétences", False),
            ("user", "/admin/users", "Utilisateurs", True), ("vehicule", "/vehicules", "Véhicules", True),
            ("indisponibilite", "/vehicules/{}/indisponibilites", "Indisponibilités d'un véhicule", True)]
for _name, _path_of, _label, _paged in _RECORDS:
    for _method_name, _method in (
            (f"get_{_name}s", _route("GET", _path_of, f"{_label} : la liste.", paged=_paged)),
            (f"get_{_name}", _route("GET", _path_of + "/{}", f"{_label} : l'enregistrement.")),
            (f"create_{_name}", _route("POST", _path_of, f"{_label} : créer.", body=True)),
            (f"update_{_name}", _route("PUT", _path_of + "/{}", f"{_label} : modifier.", body=True,
                                       versioned=True)),
            (f"delete_{_name}", _route("DELETE", _path_of + "/{}", f"{_label} : supprimer.",
                                       versioned=True))):
        setattr(TomatoPlanClient, _method_name, _method)
for _method_name, _method in list(vars(TomatoPlanClient).items()):
    if hasattr(_method, "route"):
        _method.__name__, _method.__qualname__ = _method_name, f"TomatoPlanClient.{_method_name}"
