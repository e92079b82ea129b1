"""Request validation that also writes the OpenAPI schemas, so the two cannot drift apart.

A `Schema` lists its fields; `validate` returns clean Python values or raises
`ValidationFailed` with one entry per bad field (unknown fields included: nobody writes
`id`, `version` or a finance field through a side door). A `Query` does the same for a
query string.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from .errors import ValidationFailed
from .fields import MISSING, Boolean, Field, Integer
from .formats import FieldError


class Schema:
    """A JSON object with known fields; `validate` cleans it or lists every bad field."""

    def __init__(self, name: str, fields: Mapping[str, Field], description: str = "",
                 checks: Sequence[Callable[[dict], list]] = (),
                 rules: Callable[[bool], list] = lambda partial: []):
        """`rules(partial)`: what the handler checks across fields, as JSON Schema fragments
        for the OpenAPI document (`allOf`), so that a request it calls valid is accepted."""
        self.name = name
        self.fields = dict(fields)
        self.description = description
        self.checks = tuple(checks)
        self.rules = rules

    def validate(self, payload: Any, *, partial: bool = False) -> dict:
        """Clean values; `partial` (PUT) lets any required field be left out."""
        if not isinstance(payload, dict):
            raise ValidationFailed(
                [{"field": "(corps)", "code": "type", "detail": "Objet JSON attendu."}],
                detail="Le corps doit être un objet JSON.",
            )
        errors, cleaned = [], {}
        for key in payload:
            field = self.fields.get(key)
            if field is None or field.read_only:
                errors.append({"field": key, "code": "unknown_field",
                               "detail": "Champ inconnu ou non modifiable."})
        for key, field in self.fields.items():
            if field.read_only:
                continue
            if key not in payload:
                if field.required and not partial:
                    errors.append({"field": key, "code": "required", "detail": "Champ obligatoire."})
                elif field.default is not MISSING and not partial:
                    cleaned[key] = field.default
                continue
            try:
                cleaned[key] = field.clean(payload[key])
            except FieldError as exc:
                errors.append({"field": key, "code": exc.code, "detail": exc.detail})
        if not errors:
            for check in self.checks:
                errors.extend(check(cleaned))
        if errors:
            raise ValidationFailed(errors)
        return cleaned

    def json_schema(self, *, for_update: bool = False) -> dict:
        properties = {key: field.json_schema() for key, field in self.fields.items()}
        schema: dict[str, Any] = {"type": "object", "properties": properties,
                                  "additionalProperties": False}
        required = [key for key, field in self.fields.items()
                    if field.required and not field.read_only]
        if required and not for_update:
            schema["required"] = required
        rules = self.rules(for_update)
        if rules:
            schema["allOf"] = rules
        if self.description:
            schema["description"] = self.description
        return schema


class Query:
    """Query-string parameters: typed, bounded, unknown ones refused."""

    def __init__(self, fields: Mapping[str, Field]):
        self.fields = dict(fields)

    def validate(self, query: Mapping[str, str]) -> dict:
        errors, cleaned = [], {}
        for key in query:
            if key not in self.fields:
                errors.append({"field": key, "code": "unknown_parameter",
                               "detail": "Paramètre inconnu."})
        for key, field in self.fields.items():
            if key not in query:
                if field.default is not MISSING:
                    cleaned[key] = field.default
                elif field.required:
                    errors.append({"field": key, "code": "required", "detail": "Paramètre obligatoire."})
                continue
            raw = query.getall(key) if hasattr(query, "getall") else [query[key]]
            if len(raw) > 1:
                errors.append({"field": key, "code": "duplicate", "detail": "Paramètre répété."})
                continue
            try:
                cleaned[key] = field.clean(_coerce_query(field, raw[0]))
            except FieldError as exc:
                errors.append({"field": key, "code": exc.code, "detail": exc.detail})
        if errors:
            raise ValidationFailed(errors)
        return cleaned

    def openapi_parameters(self) -> list[dict]:
        parameters = []
        for key, field in self.fields.items():
            parameter = {"name": key, "in": "query", "required": field.required,
                         "description": field.description, "schema": field.json_schema()}
            if field.json_type == "array":  # a,b,c in one parameter
                parameter.update(style="form", explode=False)
            parameters.append(parameter)
        return parameters


def _coerce_query(field: Field, raw: str) -> Any:
    if isinstance(field, Integer):
        try:
            return int(raw)
        except ValueError:
            raise FieldError("type", "Nombre entier attendu.") from None
    if isinstance(field, Boolean):
        lowered = raw.lower()
        if lowered in ("true", "1", "oui", "yes"):
            return True
        if lowered in ("false", "0", "non", "no"):
            return False
        raise FieldError("type", "true ou false attendu.")
    return raw


PAGING = {
    "limit": Integer("Nombre maximum d'éléments renvoyés", minimum=1, maximum=1000, default=100),
    "offset": Integer("Nombre d'éléments à sauter", minimum=0, maximum=10**12, default=0),
}
