"""Lists carry an ETag and answer 304 to a matching If-None-Match: a PTT screen that polls
its day costs nothing to send when nothing changed, and sees a change at once."""

from __future__ import annotations

from tests.helpers.planning import MONDAY, make_mission
from tomatoplan.web.openapi import openapi_document

DAY = f"/missions/by-date/{MONDAY}"


async def test_an_unchanged_list_is_a_304_without_a_body(admin):
    await make_mission(admin)
    first = await admin.get(DAY)
    tag = first.headers["ETag"]
    again = await admin.get(DAY, headers={"If-None-Match": tag})
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == tag
    weak = await admin.get(DAY, headers={"If-None-Match": f'"other", W/{tag}'})
    assert weak.status == 304  # If-None-Match compares weakly (RFC 9110)


async def test_a_change_gives_the_new_list_and_a_new_tag(admin):
    await make_mission(admin)
    tag = (await admin.get(DAY)).headers["ETag"]
    await admin.put("/missions/1", json={"remarques": "quai 4"})
    changed = await admin.get(DAY, headers={"If-None-Match": tag})
    assert changed.status == 200
    assert (await changed.json())[0]["remarques"] == "quai 4"
    assert changed.headers["ETag"] != tag


async def test_roles_that_see_different_fields_get_different_tags(admin, as_role):
    await make_mission(admin, prix="125.50")
    planner = await as_role("planner")
    admin_tag = (await admin.get(DAY)).headers["ETag"]
    seen = await planner.get(DAY, headers={"If-None-Match": admin_tag})
    assert seen.status == 200 and "prix" not in (await seen.json())[0]


async def test_a_record_is_a_304_while_its_version_is_the_one_held(admin):
    await make_mission(admin)
    record = await admin.get("/missions/1")
    assert record.headers["ETag"] == '"1"'  # its version, as If-Match wants it
    assert (await admin.get("/missions/1", headers={"If-None-Match": '"1"'})).status == 304
    await admin.put("/missions/1", json={"remarques": "quai 4"})
    assert (await admin.get("/missions/1", headers={"If-None-Match": '"1"'})).status == 200


async def test_errors_are_never_a_304(admin):
    missing = await admin.get("/missions/by-date/2024-02-30", headers={"If-None-Match": "*"})
    assert missing.status == 422


async def test_the_document_says_which_routes_answer_304(client):
    paths = openapi_document(client.app)["paths"]
    assert "304" in paths["/missions/by-date/{date}"]["get"]["responses"]
    assert "304" in paths["/missions"]["get"]["responses"]
    assert "304" in paths["/missions/{id}"]["get"]["responses"]
    assert "304" not in paths["/missions"]["post"]["responses"]
