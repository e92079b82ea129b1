"""Server configuration: the seed's TOMATOPLAN_* variables, from the environment or `.env`.

The environment wins over `.env`; relative paths are taken from the working directory.
Every value is checked at start so that a typo stops the server with one clear line.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Mapping, Optional

from .envfile import (
    PREFIX,
    ConfigError,
    parse_bool,
    parse_choice,
    parse_float,
    parse_hosts,
    parse_int,
    parse_networks,
    read_env_file,
)
from .permissions import ROLES

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One configuration variable as documented in the README and the admin page."""

    name: str
    default: str
    help: str


# The order here is the order of the README's configuration table.
SETTINGS = (
    Setting("HOST", "0.0.0.0", "Adresse d'écoute"),
    Setting("PORT", "8000", "Port d'écoute"),
    Setting("DATABASE_PATH", "./data/tomatoplan.db", "Fichier de la base SQLite"),
    Setting("DEFAULT_ADMIN_USERNAME", "ADMIN", "Administrateur créé au premier démarrage"),
    Setting("LOG_LEVEL", "INFO", "Niveau de log (DEBUG, INFO, WARNING, ERROR)"),
    Setting("LOG_DIR", "./logs", "Dossier de server.log (rotation à 10 Mio, 5 fichiers)"),
    Setting("AUTO_BACKUP_ENABLED", "true", "Sauvegarde automatique quotidienne"),
    Setting("AUTO_BACKUP_HOUR", "2", "Heure (0-23, heure locale) de la sauvegarde automatique"),
    Setting("BACKUP_RETENTION_DAYS", "30",
            "Conservation des sauvegardes automatiques (jours ; les manuelles sont gardées)"),
    Setting("BACKUP_DIR", "", "Dossier des sauvegardes (vide = backups/ à côté de la base)"),
    Setting("BACKUP_COPY_DIR", "",
            "Second dossier recevant une copie vérifiée de chaque sauvegarde, sur un autre disque "
            "(ex. un partage NAS monté ; vide = pas de copie)"),
    Setting("BACKUP_COPY_RETENTION_DAYS", "90",
            "Conservation des copies automatiques dans BACKUP_COPY_DIR (jours)"),
    Setting("MAX_BACKUP_SIZE", "2147483648",
            "Taille maximale d'une sauvegarde envoyée au serveur (octets)"),
    Setting("SECRET_KEY", "", "Clé de signature des jetons (32 octets min.; générée sinon)"),
    Setting("TOKEN_TTL_HOURS", "10", "Durée de validité d'un jeton (heures)"),
    Setting("ALLOWED_NETWORKS", "",
            "Réseaux autorisés à se connecter (CIDR, séparés par des virgules; vide = tous)"),
    Setting("ALLOWED_HOSTS", "",
            "Noms sous lesquels les navigateurs atteignent le serveur, en plus de son nom de "
            "machine, de localhost et de ses adresses IP (séparés par des virgules ; ex. un alias "
            "DNS) : un navigateur qui l'appelle d'un autre nom est refusé (DNS rebinding)"),
    Setting("AUTO_REGISTER_ROLE", "",
            "Rôle donné à un utilisateur inconnu à sa première connexion (vide = refusé)"),
    Setting("ACTIVITY_RETENTION_DAYS", "0", "Conservation du journal d'activité (jours; 0 = tout garder)"),
    Setting("SQLITE_SYNCHRONOUS", "FULL",
            "PRAGMA synchronous (FULL: une écriture confirmée survit à une coupure)"),
    Setting("MAX_BODY_SIZE", "1048576", "Taille maximale d'un corps de requête (octets)"),
    Setting("MAX_CONNECTIONS", "1000",
            "Connexions ouvertes à la fois ; au-delà, la plus ancienne connexion inactive est "
            "fermée, ou la nouvelle refusée (503) si toutes travaillent"),
    Setting("HEADER_TIMEOUT", "15",
            "Délai pour recevoir les en-têtes d'une requête, et la première requête d'une "
            "nouvelle connexion (secondes)"),
    Setting("BODY_TIMEOUT", "60",
            "Délai pour recevoir le corps JSON d'une requête, et pause maximale pendant l'envoi "
            "d'une sauvegarde (secondes ; 408 au-delà)"),
    Setting("KEEPALIVE_TIMEOUT", "75",
            "Fermeture d'une connexion restée inactive entre deux requêtes (secondes)"),
    Setting("EVENT_STREAM_TIMEOUT", "30",
            "Un lecteur du flux /events qui ne lit plus depuis ce délai est déconnecté (secondes)"),
    Setting("LOGIN_MAX_FAILURES", "10",
            "Échecs de connexion permis par adresse (noms différents) et par nom, sur la fenêtre "
            "LOGIN_WINDOW_SECONDS ; au-delà, 429"),
    Setting("LOGIN_WINDOW_SECONDS", "300", "Fenêtre de comptage des échecs de connexion (secondes)"),
    Setting("DUREE_MISSION_DEFAUT", "60",
            "Durée (minutes) que les contrôles de chevauchement donnent à une mission qui a une "
            "heure de début sans heure de fin ni voyage qui la donne"),
    Setting("SESSION_BINDING", "none",
            "Lier chaque session à l'adresse d'où elle a été ouverte : none, address (même "
            "adresse), network (même réseau de ALLOWED_NETWORKS, sinon même /24 ou /64)"),
)
SESSION_BINDINGS = ("none", "address", "network")


@dataclasses.dataclass(frozen=True)
class Config:
    """Validated configuration; build it with `load_config` or directly in tests."""

    host: str = "0.0.0.0"
    port: int = 8000
    database_path: str = "./data/tomatoplan.db"
    default_admin_username: str = "ADMIN"
    log_level: str = "INFO"
    log_dir: Optional[str] = "./logs"
    auto_backup_enabled: bool = True
    auto_backup_hour: int = 2
    backup_retention_days: int = 30
    backup_dir: str = "./data/backups"
    backup_copy_dir: str = ""
    backup_copy_retention_days: int = 90
    max_backup_size: int = 2 * 1024 * 1024 * 1024
    secret_key: str = ""
    token_ttl_hours: float = 10.0
    allowed_networks: tuple = ()
    allowed_hosts: tuple = ()
    auto_register_role: str = ""
    activity_retention_days: int = 0
    sqlite_synchronous: str = "FULL"
    max_body_size: int = 1024 * 1024
    max_connections: int = 1000
    header_timeout: float = 15.0
    body_timeout: float = 60.0
    keepalive_timeout: float = 75.0
    event_stream_timeout: float = 30.0
    login_max_failures: int = 10
    login_window_seconds: int = 300
    session_binding: str = "none"
    duree_mission_defaut: int = 60
    # Where each setting's value came from (SETTINGS name -> "environnement", "fichier .env"
    # or "défaut"), for the Configuration page.
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def data_dir(self) -> str:
        """Folder holding the database (and the generated secret key)."""
        return os.path.dirname(os.path.abspath(self.database_path))


def _check_writable_dir(name: str, path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{PREFIX}{name}: dossier {path!r} impossible à créer ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{PREFIX}{name}: dossier {path!r} non accessible en écriture")


def load_config(environ: Optional[Mapping[str, str]] = None, env_file: str = ".env") -> Config:
    """Read, check and return the configuration; raise ConfigError naming the bad variable."""
    environ = os.environ if environ is None else environ
    from_file = {key: value for key, value in read_env_file(env_file).items() if key.startswith(PREFIX)}
    merged = dict(from_file)
    merged.update({key: value for key, value in environ.items() if key.startswith(PREFIX)})
    known = {PREFIX + setting.name for setting in SETTINGS}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ConfigError(f"{unknown[0]}: variable inconnue (voir le tableau de configuration du README)")
    raw = {setting.name: merged.get(PREFIX + setting.name, setting.default) for setting in SETTINGS}

    host = raw["HOST"].strip()
    if not host:
        raise ConfigError(f"{PREFIX}HOST: adresse d'écoute vide")
    log_level = raw["LOG_LEVEL"].strip().upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"{PREFIX}LOG_LEVEL={raw['LOG_LEVEL']!r}: attendu l'un de {', '.join(LOG_LEVELS)}")
    synchronous = raw["SQLITE_SYNCHRONOUS"].strip().upper()
    if synchronous not in SYNCHRONOUS_MODES:
        raise ConfigError(
            f"{PREFIX}SQLITE_SYNCHRONOUS={raw['SQLITE_SYNCHRONOUS']!r}: "
            f"attendu l'un de {', '.join(SYNCHRONOUS_MODES)}"
        )
    secret_key = raw["SECRET_KEY"]
    if secret_key and len(secret_key.encode("utf-8")) < 32:
        raise ConfigError(f"{PREFIX}SECRET_KEY: trop courte (32 octets minimum)")
    auto_register_role = raw["AUTO_REGISTER_ROLE"].strip()
    if auto_register_role and auto_register_role not in ROLES:
        raise ConfigError(f"{PREFIX}AUTO_REGISTER_ROLE={auto_register_role!r}: "
                          f"attendu l'un des rôles {', '.join(ROLES)} (ou vide)")
    database_path = raw["DATABASE_PATH"].strip()
    if not database_path:
        raise ConfigError(f"{PREFIX}DATABASE_PATH: chemin vide")
    config = Config(
        host=host,
        port=parse_int("PORT", raw["PORT"], 1, 65535),
        database_path=database_path,
        default_admin_username=raw["DEFAULT_ADMIN_USERNAME"].strip(),
        log_level=log_level,
        log_dir=raw["LOG_DIR"].strip() or None,
        auto_backup_enabled=parse_bool("AUTO_BACKUP_ENABLED", raw["AUTO_BACKUP_ENABLED"]),
        auto_backup_hour=parse_int("AUTO_BACKUP_HOUR", raw["AUTO_BACKUP_HOUR"], 0, 23),
        backup_retention_days=parse_int("BACKUP_RETENTION_DAYS", raw["BACKUP_RETENTION_DAYS"], 1),
        backup_dir=raw["BACKUP_DIR"].strip() or os.path.join(
            os.path.dirname(database_path) or ".", "backups"),
        backup_copy_dir=raw["BACKUP_COPY_DIR"].strip(),
        backup_copy_retention_days=parse_int("BACKUP_COPY_RETENTION_DAYS",
                                              raw["BACKUP_COPY_RETENTION_DAYS"], 1),
        max_backup_size=parse_int("MAX_BACKUP_SIZE", raw["MAX_BACKUP_SIZE"], 1024 * 1024),
        secret_key=secret_key,
        token_ttl_hours=parse_float("TOKEN_TTL_HOURS", raw["TOKEN_TTL_HOURS"], 0, 24 * 31),
        allowed_networks=parse_networks(raw["ALLOWED_NETWORKS"]),
        allowed_hosts=parse_hosts("ALLOWED_HOSTS", raw["ALLOWED_HOSTS"]),
        auto_register_role=auto_register_role,
        activity_retention_days=parse_int("ACTIVITY_RETENTION_DAYS", raw["ACTIVITY_RETENTION_DAYS"], 0),
        sqlite_synchronous=synchronous,
        max_body_size=parse_int("MAX_BODY_SIZE", raw["MAX_BODY_SIZE"], 1024),
        max_connections=parse_int("MAX_CONNECTIONS", raw["MAX_CONNECTIONS"], 8, 1_000_000),
        header_timeout=parse_float("HEADER_TIMEOUT", raw["HEADER_TIMEOUT"], 0, 3600),
        body_timeout=parse_float("BODY_TIMEOUT", raw["BODY_TIMEOUT"], 0, 3600),
        keepalive_timeout=parse_float("KEEPALIVE_TIMEOUT", raw["KEEPALIVE_TIMEOUT"], 0, 3600),
        event_stream_timeout=parse_float("EVENT_STREAM_TIMEOUT", raw["EVENT_STREAM_TIMEOUT"], 0,
                                         3600),
        login_max_failures=parse_int("LOGIN_MAX_FAILURES", raw["LOGIN_MAX_FAILURES"], 1, 10_000),
        login_window_seconds=parse_int("LOGIN_WINDOW_SECONDS", raw["LOGIN_WINDOW_SECONDS"], 1,
                                       86_400),
        session_binding=parse_choice("SESSION_BINDING", raw["SESSION_BINDING"], SESSION_BINDINGS),
        duree_mission_defaut=parse_int("DUREE_MISSION_DEFAUT", raw["DUREE_MISSION_DEFAUT"], 1, 24 * 60),
        sources={setting.name: "environnement" if PREFIX + setting.name in environ
                 else "fichier .env" if PREFIX + setting.name in from_file else "défaut"
                 for setting in SETTINGS},
    )
    return config


def prepare_folders(config: Config) -> None:
    """Create the data, log and backup folders, or raise ConfigError saying which one fails."""
    _check_writable_dir("DATABASE_PATH", config.data_dir)
    if config.log_dir:
        _check_writable_dir("LOG_DIR", config.log_dir)
    _check_writable_dir("BACKUP_DIR", config.backup_dir)
