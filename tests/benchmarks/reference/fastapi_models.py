"""Models of the FastAPI reference (`fastapi_app.py`): SQLAlchemy 2 declarative classes over the
tables the real server made (sql/migrations), the Pydantic v2 bodies and answers, and the few
rules they share (money as exact text, a mission as the API shows it).

Only the columns the reference reads or writes are mapped; the schema is the real server's,
never created nor migrated here. Benchmark reference only, never shipped.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator
from reference_money import amount_text
from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MISSION_FIELDS = ("date_mission", "destination", "origine", "voyage_id", "chauffeur_id", "vehicule",
                  "heure_debut", "heure_fin", "statut", "remarques", "prix", "cout")
Statut = Literal["planifie", "en_cours", "termine", "annule"]
Money = Optional[decimal.Decimal]


class Base(DeclarativeBase):
    pass


class Chauffeur(Base):
    __tablename__ = "chauffeurs"
    id: Mapped[int] = mapped_column(primary_key=True)
    nom: Mapped[str]
    prenom: Mapped[str]
    matricule: Mapped[Optional[str]]
    telephone: Mapped[Optional[str]]
    email: Mapped[Optional[str]]
    actif: Mapped[bool]
    notes: Mapped[Optional[str]]
    version: Mapped[int]
    created_at: Mapped[str]
    created_by: Mapped[str]
    updated_at: Mapped[str]
    updated_by: Mapped[str]
    competences: Mapped[list[Competence]] = relationship(order_by="Competence.skill_code")


class Competence(Base):
    __tablename__ = "chauffeur_competences"
    id: Mapped[int] = mapped_column(primary_key=True)
    chauffeur_id: Mapped[int] = mapped_column(ForeignKey("chauffeurs.id"))
    skill_code: Mapped[str]
    date_expiration: Mapped[Optional[str]]

    @property
    def code(self) -> str:
        return self.skill_code


class Absence(Base):
    __tablename__ = "absences"
    id: Mapped[int] = mapped_column(primary_key=True)
    chauffeur_id: Mapped[int] = mapped_column(ForeignKey("chauffeurs.id"))
    date_debut: Mapped[str]
    date_fin: Mapped[str]
    motif: Mapped[str]


class Voyage(Base):
    __tablename__ = "voyages"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str]
    origine: Mapped[Optional[str]]
    destination: Mapped[Optional[str]]
    heure_debut: Mapped[Optional[str]]
    heure_fin: Mapped[Optional[str]]
    actif: Mapped[bool]


class Mission(Base):
    __tablename__ = "missions"
    id: Mapped[int] = mapped_column(primary_key=True)
    date_mission: Mapped[str]
    destination: Mapped[str]
    origine: Mapped[Optional[str]]
    voyage_id: Mapped[Optional[int]] = mapped_column(ForeignKey("voyages.id"))
    chauffeur_id: Mapped[Optional[int]] = mapped_column(ForeignKey("chauffeurs.id"))
    vehicule: Mapped[Optional[str]]
    heure_debut: Mapped[Optional[str]]
    heure_fin: Mapped[Optional[str]]
    statut: Mapped[str]
    remarques: Mapped[Optional[str]]
    prix_cents: Mapped[Optional[int]]
    cout_cents: Mapped[Optional[int]]
    version: Mapped[int] = mapped_column()
    created_at: Mapped[str]
    created_by: Mapped[str]
    updated_at: Mapped[str]
    updated_by: Mapped[str]

    @property
    def prix(self) -> Optional[str]:
        return amount_text(self.prix_cents)

    @property
    def cout(self) -> Optional[str]:
        return amount_text(self.cout_cents)

    # Optimistic locking the ORM way: UPDATE ... WHERE id = ? AND version = ?, version + 1.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative spelling


class ActivityLog(Base):
    __tablename__ = "activity_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[str]
    user_id: Mapped[Optional[int]]
    username: Mapped[str]
    hostname: Mapped[str]
    address: Mapped[str]
    action: Mapped[str]
    entity: Mapped[str]
    entity_id: Mapped[Optional[int]]
    summary: Mapped[str]
    changes: Mapped[Optional[str]]
    record: Mapped[Optional[str]]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    active: Mapped[bool]


class LoginSession(Base):
    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    expires_at: Mapped[str]
    revoked_at: Mapped[Optional[str]]


# --- Pydantic: what the API takes and answers ---------------------------------------------

class MissionOut(BaseModel):
    """A mission as the real server shows it to a finance reader; read from the ORM object."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    date_mission: str
    destination: str
    origine: Optional[str]
    voyage_id: Optional[int]
    chauffeur_id: Optional[int]
    vehicule: Optional[str]
    heure_debut: Optional[str]
    heure_fin: Optional[str]
    statut: str
    remarques: Optional[str]
    prix: Optional[str]
    cout: Optional[str]
    version: int
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


class MissionPatch(BaseModel):
    """A partial body: only the fields sent change (`model_fields_set`)."""

    date_mission: Optional[datetime.date] = None
    destination: Optional[str] = Field(None, min_length=1, max_length=200)
    origine: Optional[str] = Field(None, max_length=200)
    voyage_id: Optional[int] = Field(None, ge=1)
    chauffeur_id: Optional[int] = Field(None, ge=1)
    vehicule: Optional[str] = Field(None, max_length=50)
    heure_debut: Optional[str] = Field(None, pattern=HHMM)
    heure_fin: Optional[str] = Field(None, pattern=HHMM)
    statut: Statut = "planifie"
    remarques: Optional[str] = Field(None, max_length=2000)
    prix: Money = Field(None, max_digits=11, decimal_places=2)
    cout: Money = Field(None, max_digits=11, decimal_places=2)

    @model_validator(mode="after")
    def end_needs_start(self) -> MissionPatch:
        if "heure_debut" in self.model_fields_set and self.heure_fin is not None and self.heure_debut is None:
            raise ValueError("Une heure de fin demande une heure de début.")
        return self

    def api_values(self) -> dict:
        """The fields sent, as the API shows them (dates as text, money as "125.50")."""
        shown = {}
        for key in self.model_fields_set:
            value = getattr(self, key)
            if isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, decimal.Decimal):
                value = amount_text(int(value * 100))
            shown[key] = value
        return shown


class MissionIn(MissionPatch):
    date_mission: datetime.date

    @model_validator(mode="after")
    def whole_body(self) -> MissionIn:
        if self.heure_fin is not None and self.heure_debut is None:
            raise ValueError("Une heure de fin demande une heure de début.")
        if self.destination is None and self.voyage_id is None:
            raise ValueError("destination obligatoire (sauf si le voyage en donne une).")
        return self


class HeldSkill(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    date_expiration: Optional[str]


class DayMission(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    date_mission: str
    heure_debut: Optional[str]
    heure_fin: Optional[str]
    destination: str
    voyage_id: Optional[int]
    statut: str


class AvailableChauffeur(BaseModel):
    id: int
    nom: str
    prenom: str
    matricule: Optional[str]
    telephone: Optional[str]
    email: Optional[str]
    actif: bool
    notes: Optional[str]
    competences: list[HeldSkill]
    version: int
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    disponible: bool
    raisons: list[dict[str, Any]]
    missions: list[DayMission]


# --- shared rules ---------------------------------------------------------------------------


def cents(amount: Optional[str]) -> Optional[int]:
    return None if amount is None else int(decimal.Decimal(amount) * 100)


def mission_dict(m: Mission) -> dict:
    """A mission as the real server shows it (for the activity log and the 412's `current`)."""
    return MissionOut.model_validate(m).model_dump()
