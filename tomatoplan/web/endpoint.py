"""What each route declares: its permission and its documentation.

Every handler is wrapped by `endpoint(...)`: the auth middleware reads its permission, and the
OpenAPI document (`openapi`) describes each route from the same declaration, so a route cannot
exist without both.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional, Sequence, Union

from ..base.permissions import AUTHENTICATED, PUBLIC, Permission
from ..base.schema import Query, Schema

ENDPOINT_ATTR = "__tomatoplan_endpoint__"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    permission: Union[Permission, str]
    summary: str
    tag: str
    description: str = ""
    body: Optional[Schema] = None
    body_partial: bool = False
    query: Optional[Query] = None
    # status -> (description, JSON schema or None, media type)
    responses: dict = dataclasses.field(default_factory=dict)
    errors: Sequence[int] = ()
    etag: bool = False
    # Media type of a binary request body (a file upload), documented instead of a `body`.
    raw_body: Optional[str] = None


def endpoint(permission: Union[Permission, str], summary: str, *, tag: str,
             description: str = "", body: Optional[Schema] = None, body_partial: bool = False,
             query: Optional[Query] = None, responses: Optional[dict] = None,
             errors: Sequence[int] = (), etag: bool = False, raw_body: Optional[str] = None
             ) -> Callable:
    """Declare a handler's permission and its documentation."""
    if not isinstance(permission, Permission) and permission not in (PUBLIC, AUTHENTICATED):
        raise ValueError(f"unknown permission {permission!r}")
    declared = Endpoint(permission, summary, tag, description, body, body_partial, query,
                        responses or {200: ("OK", None, "application/json")}, tuple(errors), etag,
                        raw_body)

    def wrap(handler: Callable) -> Callable:
        setattr(handler, ENDPOINT_ATTR, declared)
        return handler

    return wrap


def endpoint_of(handler: Any) -> Optional[Endpoint]:
    return getattr(handler, ENDPOINT_ATTR, None)
