"""Nothing a client sends may cause a 500: every route, fed odd bodies, parameters and ids."""

from __future__ import annotations

import re

from tomatoplan.web.openapi import documented_routes

BODIES = [None, b"", b"null", b"[]", b'"text"', b"42", b"{}", b'{"a": 1}', b"\xff\xfe",
          b'{"date_mission": 10**30}', b'{"id": 99999999999999999999999999}',
          b'{"username": null, "role": [], "date_mission": {"x": 1}, "chauffeur_id": 1e309}',
          b'{"date_mission": "2024-02-30", "heure_debut": "25:99", "chauffeur_id": -1, "prix": "abc"}',
          b'{"date_mission": "2024-01-15", "destination": "' + b"x" * 5000 + b'"}',
          b'{"jours": [8, "lundi", null], "competences_requises": "ADR"}']
QUERIES = [{}, {"limit": "-1"}, {"limit": "99999999999999999999"}, {"offset": "x"},
           {"date": "2024-13-45"}, {"date_debut": "2024-01-31", "date_fin": "2024-01-01"},
           {"chauffeur_id": "abc"}, {"statut": "perdu"}, {"tous": "peut-etre"},
           {"voyage_id": "99999999999999999999999"}, {"\x00": "\x00"}]
PATH_VALUES = ["0", "999999", "99999999999999999999999", "9" * 5000, "2024-02-30", "..", "%00", "abc"]


def fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


async def test_no_route_answers_500_to_odd_input(client, admin):
    failures = []
    for method, path, _ in documented_routes(client.app):
        if path == "/auth/logout":
            continue  # would end the admin session the rest of the loop uses
        for value in PATH_VALUES:
            for body in BODIES if method in ("POST", "PUT", "PATCH") else [None]:
                response = await admin.request(method, fill(path, value), data=body,
                                               headers={"Content-Type": "application/json"})
                if response.status >= 500:
                    failures.append(f"{method} {fill(path, value)} body={body!r:.60} -> {response.status}")
                response.close()
        for query in QUERIES:
            response = await admin.request(method, fill(path, "999999"), params=query)
            if response.status >= 500:
                failures.append(f"{method} {path} query={query} -> {response.status}")
            response.close()
    assert failures == []
    assert (await admin.get("/auth/me")).status == 200
