"""The role table: the seed's six roles and what each may do.

This table is the single source of truth: handlers name a permission (never a role), and
`/auth/me`, the OpenAPI document, the README and the role tests are all generated from it.
"""

from __future__ import annotations

import enum


class Permission(str, enum.Enum):
    READ_PLANNING = "planning.read"
    WRITE_MISSIONS = "missions.write"
    WRITE_VOYAGES = "voyages.write"
    WRITE_CHAUFFEURS = "chauffeurs.write"
    WRITE_VEHICULES = "vehicules.write"
    READ_HISTORY = "history.read"
    READ_FINANCE = "finance.read"
    WRITE_FINANCE = "finance.write"
    VALIDATE_DAYS = "jours.validate"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return PERMISSION_LABELS[self]


# Not permissions a role holds, but what a route may declare instead of one.
PUBLIC = "public"                # anyone, no token (health, login, docs)
AUTHENTICATED = "authenticated"  # any valid session (who am I, log out)

PERMISSION_LABELS = {
    Permission.READ_PLANNING: "Lire le planning (missions, voyages, chauffeurs, véhicules, disponibilités, "
                              "dashboard)",
    Permission.WRITE_MISSIONS: "Modifier les missions",
    Permission.WRITE_VOYAGES: "Modifier les voyages (et forcer une affectation refusée)",
    Permission.WRITE_CHAUFFEURS: "Modifier les chauffeurs, absences et compétences",
    Permission.WRITE_VEHICULES: "Modifier les véhicules et leurs indisponibilités",
    Permission.READ_HISTORY: "Lire l'historique (traces par enregistrement, activité de tous)",
    Permission.READ_FINANCE: "Voir les champs financiers (prix, coût)",
    Permission.WRITE_FINANCE: "Modifier les champs financiers",
    Permission.VALIDATE_DAYS: "Valider et rouvrir un jour (et modifier les missions d'un jour validé)",
    Permission.ADMIN: "Administration : utilisateurs, sessions, sauvegardes, logs, configuration",
}

P = Permission
ROLE_PERMISSIONS: dict[str, frozenset] = {
    "viewer": frozenset({P.READ_PLANNING}),
    "planner": frozenset({P.READ_PLANNING, P.WRITE_MISSIONS}),
    "planner_advanced": frozenset({P.READ_PLANNING, P.WRITE_MISSIONS, P.WRITE_VOYAGES,
                                   P.READ_HISTORY, P.READ_FINANCE, P.VALIDATE_DAYS}),
    "driver_admin": frozenset({P.READ_PLANNING, P.WRITE_CHAUFFEURS, P.WRITE_VEHICULES}),
    "finance": frozenset({P.READ_PLANNING, P.READ_FINANCE, P.WRITE_FINANCE}),
    "admin": frozenset(Permission),
}

ROLE_LABELS = {
    "viewer": "Consultation uniquement",
    "planner": "Modification du planning",
    "planner_advanced": "Accès étendu (historique, finance)",
    "driver_admin": "Gestion des chauffeurs et des véhicules",
    "finance": "Accès aux données financières",
    "admin": "Accès complet",
}

ROLES = tuple(ROLE_PERMISSIONS)


def permissions_of(role: str) -> frozenset:
    """Permissions held by a role; an unknown role holds none."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def roles_with(permission: Permission) -> list[str]:
    """Roles holding a permission, in the table's order."""
    return [role for role in ROLES if permission in ROLE_PERMISSIONS[role]]


def has_permission(role: str, permission) -> bool:
    if permission in (PUBLIC, AUTHENTICATED):
        return True
    return permission in permissions_of(role)


def markdown_table() -> str:
    """The role table as Markdown (README and OpenAPI); a test keeps the README in step."""
    lines = ["| Permission | " + " | ".join(f"`{role}`" for role in ROLES) + " |",
             "|---|" + "---|" * len(ROLES)]
    for permission in Permission:
        marks = " | ".join("x" if permission in ROLE_PERMISSIONS[role] else " " for role in ROLES)
        lines.append(f"| {permission.label} (`{permission.value}`) | {marks} |")
    return "\n".join(lines)


# Mission fields that only finance readers see (DESIGN.md: left out for the others).
FINANCE_FIELDS = ("prix", "cout")


def visible_record(record: dict, can_read_finance: bool) -> dict:
    """The record without its finance fields for a reader who may not see them."""
    if can_read_finance:
        return record
    return {key: value for key, value in record.items() if key not in FINANCE_FIELDS}
