"""The administration pages: Jinja2 templates from `templates/` (in the checkout or inside the
zipapp), autoescaped, and the headers every page carries.

A page is a shell: what it shows comes from the JSON API through `static/admin.js`, with the
session cookie, so the pages and the API share one set of rules (roles, validation, the
French messages). The Content-Security-Policy allows no inline script and nothing from
another origin: the pages work on a closed network and an injected `<script>` does not run.
"""

from __future__ import annotations

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .. import __version__
from ..base import resources
from .auth import COOKIE_NAME

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"}


def _template_source(name: str) -> str:
    try:
        return resources.read_text(f"templates/{name}")
    except resources.ResourceNotFound:
        raise jinja2.TemplateNotFound(name) from None


def setup(app: web.Application) -> None:
    """The template environment of the application (autoescape on every template)."""
    aiohttp_jinja2.setup(app, loader=jinja2.FunctionLoader(_template_source),
                         autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
                         undefined=jinja2.StrictUndefined)


def render(request: web.Request, template: str, context: dict) -> web.Response:
    """The page, with the version, a `static(path)` helper, whether the browser holds a session
    cookie (its script then asks who it is; without one it shows the login form at once), and
    the page headers."""
    static = request.app.router["static"]
    response = aiohttp_jinja2.render_template(template, request, {
        "version": __version__, "static": lambda path: static.url_for(path=path).path,
        "session": COOKIE_NAME in request.cookies, **context})
    response.headers.update(PAGE_HEADERS)
    return response


def wants_html(request: web.Request) -> bool:
    """A browser asks for HTML first; an API client (requests, curl, PTT) does not."""
    accept = request.headers.get("Accept", "")
    return "text/html" in accept.split(",", 1)[0]
