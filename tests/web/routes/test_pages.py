"""The administration page and the root, as served (the browser tests drive them in Chromium:
tests/test_admin_browser.py)."""

from __future__ import annotations

import re

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def test_the_root_sends_a_browser_to_admin_and_gives_an_api_client_an_index(client):
    browser = await client.get("/", headers=HTML, allow_redirects=False)
    assert browser.status == 302 and browser.headers["Location"] == "/admin"
    for accept in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        answer = await client.get("/", headers=accept)
        assert answer.status == 200 and answer.content_type == "application/json"
        body = await answer.json()
        assert body["name"] == "TomatoPlan Server" and body["links"]["documentation"] == "/docs"
        assert body["links"]["health"] == "/health"


async def test_the_admin_page_runs_no_inline_script_and_says_so(client):
    answer = await client.get("/admin", headers=HTML)
    assert answer.status == 200 and answer.content_type == "text/html"
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    page = await answer.text()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/static/' in attributes and not body.strip()
                           for attributes, body in scripts)
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handler either
    assert 'id="formulaire-connexion"' in page and 'lang="fr"' in page


async def test_each_screen_is_a_page_with_the_navigation(client):
    for path in ("/admin", "/admin/utilisateurs", "/admin/connexions"):
        answer = await client.get(path, headers=HTML)
        assert answer.status == 200 and "Content-Security-Policy" in answer.headers, path
        page = await answer.text()
        assert f'<a href="{path}" aria-current="page">' in page
        assert 'href="/admin/connexions"' in page and 'id="formulaire-connexion"' in page
    users = await (await client.get("/admin/utilisateurs", headers=HTML)).text()
    assert '<option value="planner_advanced">' in users and '<option value="admin">' in users


async def test_admin_with_a_slash_and_the_page_files(client):
    slash = await client.get("/admin/", headers=HTML)
    assert slash.status == 200 and 'id="formulaire-connexion"' in await slash.text()
    for path, kind in (("/static/admin.js", "text/javascript"), ("/static/admin.css", "text/css")):
        answer = await client.get(path)
        assert answer.status == 200 and answer.content_type == kind
        assert answer.headers["Cache-Control"] == "no-cache" and answer.headers["ETag"]


async def test_the_json_routes_under_admin_stay_json_for_a_token_client(client, admin):
    for path in ("/admin/users", "/admin/sessions", "/admin/backups"):
        answer = await admin.get(path, headers=HTML)
        assert answer.status == 200 and answer.content_type == "application/json", path
