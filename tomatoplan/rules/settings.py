"""Settings an administrator changes at run time, from the Configuration page or
`PATCH /admin/config`: the automatic backup's hour and retention, the log level, the allowed
networks, the token lifetime.

The one home of `sql/settings.sql`. A changed setting is stored in the database and overrides
the environment and `.env` (it survives a restart); setting it back to null returns to their
value. `RuntimeSettings.config` is the configuration in force; what must follow a change (the
scheduler, the log level, the backups) registers with `on_change` and is told at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import logging
import math
import os
import sqlite3
from typing import Any, Callable

from ..base import clock, sqlfiles
from ..base.config import LOG_LEVELS, SETTINGS, Config
from ..base.db import Database
from ..base.errors import ValidationFailed, invalid
from ..base.fields import Choice, Field, Integer, ListOf
from ..base.formats import FieldError
from ..base.schema import Schema
from . import activity, networks
from .activity import Actor

log = logging.getLogger(__name__)
Q = sqlfiles.load("settings")
# Settings whose value is never shown, not even to an administrator.
SECRET = frozenset({"SECRET_KEY"})


class Number(Field):
    """A finite JSON number between two bounds."""

    json_type = "number"

    def __init__(self, description: str, *, minimum: float, maximum: float, **kwargs: Any):
        super().__init__(description, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise FieldError("type", "Nombre attendu.")
        if not self.minimum <= value <= self.maximum:
            raise FieldError("out_of_range", f"Entre {self.minimum:g} et {self.maximum:g}.")
        return float(value)

    def extra_schema(self) -> dict:
        return {"minimum": self.minimum, "maximum": self.maximum}


class Network(Field):
    """A network in CIDR notation (192.168.1.0/24, 2001:db8::/32), or one address."""

    def check(self, value: Any) -> Any:
        if not isinstance(value, str) or len(value) > 60:
            raise FieldError("type", "Réseau CIDR attendu (ex. 192.168.1.0/24).")
        try:
            return str(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise FieldError("format", f"{value[:60]!r} n'est pas un réseau CIDR "
                                       "(ex. 192.168.1.0/24).") from None

    def extra_schema(self) -> dict:
        return {"maxLength": 60, "examples": ["192.168.1.0/24"]}


# What can change at run time: the Config attribute (its TOMATOPLAN_ name upper-cased) and
# its field. Null goes back to the value from the environment or .env.
EDITABLE: dict[str, Field] = {
    "auto_backup_hour": Integer("Heure de la sauvegarde automatique (0-23, heure locale)",
                                minimum=0, maximum=23, nullable=True),
    "backup_retention_days": Integer("Conservation des sauvegardes automatiques (jours)",
                                     minimum=1, maximum=3650, nullable=True),
    "log_level": Choice(LOG_LEVELS, "Niveau de log du serveur", nullable=True),
    "allowed_networks": ListOf(Network(), "Réseaux autorisés à se connecter (vide : tous ; "
                                          "le serveur lui-même l'est toujours)",
                               max_items=100, nullable=True),
    # At least a quarter of an hour: shorter, nobody could log in long enough to set it back.
    "token_ttl_hours": Number("Durée de validité des nouveaux jetons (heures, 0.25 au moins)",
                              minimum=0.25, maximum=24 * 31, nullable=True),
}
CHANGE_SCHEMA = Schema(
    "ReglagesModifies", EDITABLE,
    "Les réglages à changer ; null revient à la valeur de l'environnement ou du fichier .env.")


def _to_config(name: str, value: Any) -> Any:
    if name == "allowed_networks":
        return tuple(ipaddress.ip_network(item) for item in value)
    return value


def _to_json(name: str, value: Any) -> Any:
    if name == "allowed_networks":
        return [str(network) for network in value]
    return value


def shown(value: Any) -> str:
    """A value as it would be written in .env."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return "" if value is None else str(value)


def changed_in_file(path: str) -> list[dict]:
    """The settings a database file holds over .env ({key, value, updated_at, updated_by}), read
    without opening it for writing (`check`); [] when the file or the table is not there."""
    if not os.path.exists(path):
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(Q.settings_all)]
    except sqlite3.Error:
        return []


class RuntimeSettings:
    """The configuration in force: the one read at start, with the stored changes on top."""

    def __init__(self, base: Config):
        self.base = base
        self.config = base
        self.changed: dict[str, dict] = {}  # name -> {value (JSON), updated_at, updated_by}
        self._listeners: list[Callable[[Config], None]] = []

    def on_change(self, listener: Callable[[Config], None]) -> None:
        self._listeners.append(listener)

    async def load(self, db: Database) -> None:
        """Apply what the database holds (at start; a restore keeps the settings). A stored value
        the server no longer accepts is logged and left out, never a reason not to start."""
        changed = {}
        for row in await db.query(Q.settings_all):
            field = EDITABLE.get(row["key"])
            try:
                if field is None:
                    raise FieldError("unknown", "réglage inconnu")
                value = field.clean(json.loads(row["value"]))
            except (FieldError, ValueError) as exc:
                log.warning("stored setting %s ignored: %s", row["key"][:40],
                            getattr(exc, "detail", "not JSON"))
                continue
            if value is not None:
                changed[row["key"]] = {"value": value, "updated_at": row["updated_at"],
                                       "updated_by": row["updated_by"]}
        self.changed = changed
        self._apply()
        if changed:
            log.info("settings changed from the administration: %s",
                     ", ".join(f"{name}={shown(_to_config(name, entry['value']))}"
                               for name, entry in sorted(changed.items())))

    def would_be(self, values: dict) -> Config:
        """The configuration once `values` (cleaned; None = back to the file) are applied."""
        current = {name: entry["value"] for name, entry in self.changed.items()}
        current.update(values)
        return self._build(current)

    async def change(self, db: Database, actor: Actor, values: dict, address: str) -> Config:
        """Store and apply `values` (validated by CHANGE_SCHEMA), with one activity line. The
        allowed networks must still hold the address of the administrator making the change."""
        if not values:
            raise ValidationFailed([invalid("(corps)", "required", "Aucun réglage à changer.")])
        after = self.would_be(values)
        if not networks.allowed(after, address):
            raise ValidationFailed([invalid(
                "allowed_networks", "locks_you_out",
                f"Votre adresse {address} ne serait plus autorisée : ajoutez son réseau.")])
        before = self.config
        now = clock.now_iso()
        moved = {name: (shown(getattr(before, name)), shown(getattr(after, name))) for name in values}

        async def work(tx) -> None:
            for name, value in values.items():
                if value is None:
                    await tx.execute(Q.delete_setting, {"key": name})
                else:
                    await tx.execute(Q.upsert_setting, {
                        "key": name, "value": json.dumps(value), "now": now, "by": actor.username})
            summary = "; ".join(f"{name.upper()} : {old or '(vide)'} → {new or '(vide)'}"
                                for name, (old, new) in moved.items())
            await activity.record(tx, actor, "settings", entity="settings",
                                  summary=f"Configuration : {summary}"[:500],
                                  changes={"before": {n: o for n, (o, _) in moved.items()},
                                           "after": {n: v for n, (_, v) in moved.items()}})

        await db.transaction(work)
        for name, value in values.items():
            if value is None:
                self.changed.pop(name, None)
            else:
                self.changed[name] = {"value": value, "updated_at": now,
                                      "updated_by": actor.username}
        self._apply()
        for name, (old, new) in moved.items():
            log.info("%s changed by %s: %s -> %s", name.upper(), actor.username, old or "(empty)",
                     new or "(empty)")
        return self.config

    def _build(self, values: dict) -> Config:
        return dataclasses.replace(self.base, **{name: _to_config(name, value)
                                                 for name, value in values.items()
                                                 if value is not None})

    def _apply(self) -> None:
        self.config = self._build({name: entry["value"] for name, entry in self.changed.items()})
        for listener in self._listeners:
            listener(self.config)

    def describe(self) -> dict:
        """The Configuration page: every setting in force, where its value comes from,
        secrets masked; and the editable ones as JSON values."""
        rows = []
        for setting in SETTINGS:
            name = setting.name.lower()
            changed = self.changed.get(name)
            secret = setting.name in SECRET
            value = getattr(self.config, name, None)
            row = {
                "nom": "TOMATOPLAN_" + setting.name,
                "cle": name,
                "valeur": ("(définie, masquée)" if value else "(générée, fichier secret.key)")
                          if secret else shown(value),
                "masquee": secret,
                "defaut": "" if secret else setting.default,
                "source": "administration" if changed else self.base.sources.get(setting.name, "défaut"),
                "description": setting.help,
                "modifiable": name in EDITABLE,
            }
            if changed:
                row.update(valeur_fichier=shown(getattr(self.base, name)),
                           modifiee_le=changed["updated_at"], modifiee_par=changed["updated_by"])
            rows.append(row)
        return {"parametres": rows,
                "modifiables": {name: _to_json(name, getattr(self.config, name)) for name in EDITABLE}}

