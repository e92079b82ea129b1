"""PTT_v0.6's JSON files as the import reads them: which file (or part of a file) holds which
kind of record, the French names a planner's files give each field of the API, and values
written the French way ("15/01/2024", "6h00", "125,50", "oui", "Lundi", "Planifié").

Names are compared without case, accents, spaces or hyphens ("Téléphone", "e-mail",
"Heure début"). A name no kind knows is reported by the import, never dropped in silence.
Values are only brought to the API's own forms here: the API's schemas then check them.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any, Optional

from ..base.fields import Boolean, Choice, Date, Field, ListOf, Text, Time, Weekday
from ..base.money import Money

KINDS = ("chauffeurs", "voyages", "missions")  # the import's order: a mission names the others
SINGULAR = {"chauffeurs": "chauffeur", "voyages": "voyage", "missions": "mission"}
# The id export-json gives a record made on this server (it has no id from elsewhere): the
# database's identity, then the record's id there.
SERVER_KEY = "tomatoplan-{uid}-{id}"
_SERVER_KEY = re.compile(r"tomatoplan-([0-9a-f]{8})-([1-9][0-9]{0,17})")
MAX_SOURCE_ID = 100
_PLACE = {"origine": ("origine", "lieu_depart", "ville_depart", "provenance"),
          "destination": ("destination", "lieu_arrivee", "ville_arrivee")}
_HOURS = {"heure_debut": ("heure_debut", "debut", "heure_depart"),
          "heure_fin": ("heure_fin", "fin", "heure_arrivee")}
# kind -> API field -> the names the files may give it (`id`: the record's id in the files).
ALIASES = {
    "chauffeurs": {
        "id": ("id", "id_chauffeur", "ref_ptt", "identifiant"),
        "nom": ("nom", "nom_chauffeur", "nom_famille"),
        "prenom": ("prenom",),
        "matricule": ("matricule",),
        "telephone": ("telephone", "tel", "portable", "mobile"),
        "email": ("email", "mail", "e_mail", "courriel"),
        "actif": ("actif",),
        "notes": ("notes", "note", "commentaire", "commentaires", "remarques"),
        "competences": ("competences", "qualifications", "permis"),
    },
    "voyages": {
        "id": ("id", "id_voyage", "ref_ptt", "identifiant"),
        "code": ("code", "code_voyage", "reference"),
        "nom": ("nom", "libelle", "intitule"),
        **_PLACE, **_HOURS,
        "jours": ("jours", "jours_semaine", "jours_circulation"),
        "competences_requises": ("competences_requises", "competences"),
        "actif": ("actif",),
        "notes": ("notes", "note", "commentaire", "commentaires", "remarques"),
    },
    "missions": {
        "id": ("id", "id_mission", "ref_ptt", "identifiant"),
        "date_mission": ("date_mission", "date", "jour"),
        **_PLACE,
        "voyage_id": ("voyage_id", "id_voyage", "voyage", "code_voyage"),
        "chauffeur_id": ("chauffeur_id", "id_chauffeur", "chauffeur"),
        "vehicule": ("vehicule", "camion", "immatriculation"),
        **_HOURS,
        "statut": ("statut", "status", "etat"),
        "remarques": ("remarques", "remarque", "commentaire", "commentaires", "notes",
                      "observations"),
        "prix": ("prix", "prix_vente", "tarif"),
        "cout": ("cout", "cout_revient"),
    },
}
SKILL_ALIASES = {"code": ("code", "competence", "type"),
                 "date_expiration": ("date_expiration", "expiration", "valable_jusqu_au",
                                     "fin_validite")}
_TRUE, _FALSE = {"oui", "o", "vrai", "true", "1", "yes"}, {"non", "n", "faux", "false", "0", "no"}


def plain(name: str) -> str:
    """"Téléphone", "e-mail", "Heure début" -> "telephone", "e_mail", "heure_debut"."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def _index(aliases: dict) -> dict[str, str]:
    return {alias: field for field, names in aliases.items() for alias in names}


INDEX = {kind: _index(aliases) for kind, aliases in ALIASES.items()}
SKILL_INDEX = _index(SKILL_ALIASES)


@dataclasses.dataclass
class Record:
    """One record of the files, its fields under the API's names."""

    kind: str
    where: str                                           # "missions.json n° 3", for messages
    source_id: Optional[str] = None                      # its id in the files, as text
    fields: dict = dataclasses.field(default_factory=dict)
    names: dict = dataclasses.field(default_factory=dict)  # API name -> the file's own name
    problems: list = dataclasses.field(default_factory=list)

    def label(self, field: str) -> str:
        """The field as the file names it, and as the API does when they differ."""
        name = self.names.get(field, field)
        return field if name == field else f"{name} ({field})"


@dataclasses.dataclass(frozen=True)
class Unreadable:
    """A file that could not be read as JSON, and why."""

    why: str


@dataclasses.dataclass
class Collected:
    records: list = dataclasses.field(default_factory=list)   # in KINDS order
    warnings: list = dataclasses.field(default_factory=list)
    rejected_files: list = dataclasses.field(default_factory=list)  # (file, why)


def kind_of_file(name: str) -> Optional[str]:
    """chauffeurs.json, Voyages.json, missions_2024-01-15.json: the kind a file name says."""
    stem = plain(name.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    return next((kind for kind in KINDS if stem.startswith((kind, SINGULAR[kind]))), None)


def collect(files: list[tuple[str, Any]]) -> Collected:
    """The records of parsed JSON files ((name, content)): an object {"chauffeurs": [...],
    "voyages": [...], "missions": [...]}, or the records of the kind the file name says. Records
    are a list, or an object whose keys are their ids."""
    found = Collected()
    by_kind: dict[str, list] = {kind: [] for kind in KINDS}
    unknown: dict[tuple, list] = {}
    for name, content in files:
        if isinstance(content, Unreadable):
            found.rejected_files.append((name, content.why))
            continue
        parts = {plain(key): value for key, value in content.items()} \
            if isinstance(content, dict) else {}
        if parts and set(parts) & set(KINDS):
            for key in content:
                if plain(key) not in KINDS:
                    found.warnings.append(f"{name} : partie « {key} » inconnue, ignorée")
            sections = [(plain(key), value, f"{name} {plain(key)}") for key, value in content.items()
                        if plain(key) in KINDS]
        elif kind_of_file(name) is not None:
            sections = [(kind_of_file(name), content, name)]
        else:
            found.rejected_files.append((name, "ne dit pas ce qu'il contient : nommez-le "
                                               "chauffeurs.json, voyages.json ou missions.json, ou "
                                               "donnez un objet {\"missions\": [...], ...}"))
            continue
        for kind, records, where in sections:
            if isinstance(records, list):
                items = [(None, item) for item in records]
            elif isinstance(records, dict):
                items = list(records.items())
            else:
                found.rejected_files.append((where, f"liste de {kind} attendue"))
                continue
            for index, (key, item) in enumerate(items):
                by_kind[kind].append(_record(kind, where, index, key, item, unknown))
    for (where, kind, field), places in unknown.items():
        shown = ", ".join(places[:5]) + (" ..." if len(places) > 5 else "")
        found.warnings.append(f"{where} : champ « {field} » inconnu pour les {kind}, ignoré "
                              f"({len(places)} enregistrement(s) : {shown})")
    for kind in KINDS:
        first: dict[str, str] = {}
        for record in by_kind[kind]:
            if record.source_id is None:
                continue
            if record.source_id in first:
                record.problems.append(f"id en double (déjà {first[record.source_id]})")
            first.setdefault(record.source_id, record.where)
    found.records = [record for kind in KINDS for record in by_kind[kind]]
    return found


def _record(kind: str, where: str, index: int, key: Optional[str], item: Any, unknown: dict
            ) -> Record:
    record = Record(kind, f"{where} n° {index}")
    if not isinstance(item, dict):
        record.problems.append("objet JSON attendu")
        return record
    for name, value in item.items():
        field = INDEX[kind].get(plain(name))
        if field is None:
            unknown.setdefault((where, kind, name), []).append(str(index))
        elif field in record.fields and record.fields[field] != value:
            record.problems.append(f"{record.names[field]} et {name} donnent deux valeurs")
        else:
            record.fields[field], record.names[field] = value, name
    given = record.fields.pop("id", None)
    if key is not None and given is not None and source_text(given) != key:
        record.problems.append(f"id {given!r} différent de sa clé {key!r}")
    record.source_id = source_text(key if given is None else given)
    if record.source_id is None:
        record.problems.append("sans id (ou id invalide) : un second import ne pourrait pas le "
                               "retrouver")
    return record


def source_text(value: Any) -> Optional[str]:
    """An id of the files as stored: 12 and "12" alike; None when it cannot be one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value.strip()) <= MAX_SOURCE_ID:
        return value.strip()
    return None


def exported_id(source_id: str) -> Any:
    """The id as export-json writes it: a number when it is one."""
    return int(source_id) if re.fullmatch(r"-?[1-9][0-9]{0,17}|0", source_id) else source_id


def server_id(source_id: str, uid: str) -> Optional[int]:
    """The id of a record of this database (identity `uid`) that a SERVER_KEY names, else None."""
    found = _SERVER_KEY.fullmatch(source_id)
    return int(found.group(2)) if found and found.group(1) == uid else None


DROP = object()  # a blank value for a field that cannot be null: as if not given


def french(field: Field, value: Any) -> Any:
    """The value in the API's form when it is written the French way; as it is otherwise (the
    schema says what is wrong with it)."""
    if isinstance(value, str) and not value.strip():
        return None if field.nullable else DROP
    if isinstance(field, ListOf):
        separators = r"[,;/\s]+" if isinstance(field.item, (Choice, Weekday)) else r"[,;/]"
        items = re.split(separators, value) if isinstance(value, str) else value
        if not isinstance(items, list):
            return value
        cleaned = [french(field.item, item) for item in items]
        return [item for item in cleaned if item is not DROP and item is not None]
    if isinstance(value, str):
        text = value.strip()
        if isinstance(field, Date):
            return _date(text)
        if isinstance(field, Time):
            return _time(text)
        if isinstance(field, Money):
            return _money(text)
        if isinstance(field, Boolean):
            lowered = plain(text)
            return True if lowered in _TRUE else False if lowered in _FALSE else value
        if isinstance(field, Choice):
            return _choice(field.choices, text)
        return value
    if isinstance(field, Boolean) and value in (0, 1) and not isinstance(value, bool):
        return bool(value)
    if isinstance(field, Text) and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a matricule or a phone number written as a number
    return value


def skill_code(value: Any) -> Any:
    """"Permis CE", "adr" -> "PERMIS_CE", "ADR" (the catalogue's form)."""
    return plain(value).upper() if isinstance(value, str) and value.strip() else value


def _date(text: str) -> str:
    french_day = re.fullmatch(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})", text)
    if french_day:
        day, month, year = french_day.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    with_time = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ][0-9:.]+Z?", text)
    return with_time.group(1) if with_time else text


def _time(text: str) -> str:
    found = re.fullmatch(r"([0-9]{1,2})\s*[:hH]\s*([0-9]{2})?(?::00)?", text)
    return f"{int(found.group(1)):02d}:{found.group(2) or '00'}" if found else text


def _money(text: str) -> str:
    amount = re.sub(r"[\s\u00a0\u202f€]|EUR", "", text)
    if "," in amount:
        amount = amount.replace(".", "").replace(",", ".")  # 1.250,50 -> 1250.50
    return amount


def _choice(choices: tuple, text: str) -> str:
    """"Planifié", "En cours", "Lun" -> planifie, en_cours, lundi; as it is when unsure."""
    wanted = plain(text)
    matches = [choice for choice in choices if wanted == choice or wanted.startswith(choice)
               or (len(wanted) >= 3 and choice.startswith(wanted))]
    return matches[0] if len(set(matches)) == 1 else text
