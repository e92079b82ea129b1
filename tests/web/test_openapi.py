"""The OpenAPI document describes exactly the routes the server has."""

from __future__ import annotations

from tomatoplan.web.endpoint import endpoint_of
from tomatoplan.web.openapi import documented_routes


async def test_every_route_is_documented_and_every_documented_route_exists(client):
    response = await client.get("/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"].startswith("3.1")
    documented = {(method.upper(), path)
                  for path, operations in document["paths"].items()
                  for method in operations}
    served = {(method, path) for method, path, _ in documented_routes(client.app)}
    assert served, "the router has no routes"
    assert documented == served


async def test_every_route_declares_its_permission(client):
    missing = [f"{method} {path}" for method, path, route in documented_routes(client.app)
               if endpoint_of(route.handler) is None]
    assert missing == []


async def test_operations_document_their_errors_and_permission(client):
    document = await (await client.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation["summary"], where
            assert operation["x-permission"], where
            assert operation["responses"], where
            if operation["x-permission"] != "public":
                assert "401" in operation["responses"], where
            if "requestBody" in operation:
                assert {"400", "422"} <= set(operation["responses"]), where
            ids = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            for name in ids:
                assert "{" + name + "}" in path, where
    assert document["components"]["schemas"]["Problem"]["required"]


async def test_operation_ids_are_unique(client):
    document = await (await client.get("/openapi.json")).json()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


async def test_the_documents_sections_come_in_the_order_planners_and_admins_read_them(client):
    """Swagger UI shows one section per tag, in the document's order."""
    document = await (await client.get("/openapi.json")).json()
    assert [tag["name"] for tag in document["tags"]] == [
        "Système", "Authentification", "Administration : utilisateurs", "Administration : sessions",
        "Administration : journaux", "Administration : sauvegardes",
        "Administration : configuration", "Missions", "Jours", "Voyages", "Chauffeurs",
        "Compétences (catalogue)", "Véhicules", "Événements", "Statistiques"]
