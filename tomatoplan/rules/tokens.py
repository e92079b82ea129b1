"""Session tokens: the key that signs them, and the signed JWTs (HS256) themselves.

A token names its session (`jti`); what makes it stop working the moment it should is the
session row, checked on every request (see `sessions`).
"""

from __future__ import annotations

import datetime
import logging
import os
import secrets
import stat
import uuid

import jwt

from ..base import clock
from ..base.config import Config, ConfigError
from ..base.errors import Unauthorized

log = logging.getLogger(__name__)

ISSUER = "tomatoplan"
ALGORITHMS = ["HS256"]
REQUIRED_CLAIMS = ["sub", "jti", "iat", "exp", "iss"]
KEY_FILE = "secret.key"
MIN_KEY_BYTES = 32


def load_or_create_key(config: Config) -> bytes:
    """TOMATOPLAN_SECRET_KEY, else `<data>/secret.key` (created 0600 on first start)."""
    if config.secret_key:
        key = config.secret_key.encode("utf-8")
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"TOMATOPLAN_SECRET_KEY: trop courte ({MIN_KEY_BYTES} octets minimum)")
        return key
    path = os.path.join(config.data_dir, KEY_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        log.info("generated a new signing key in %s", path)
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path}: la clé de signature est lisible par d'autres utilisateurs "
                          f"(droits {stat.filemode(mode)}) ; faites chmod 600 {path}")
    with open(path, "rb") as handle:
        key = handle.read().strip()
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"{path}: clé de signature trop courte ({MIN_KEY_BYTES} octets minimum)")
    return key


def issue_token(key: bytes, username: str, ttl_hours: float) -> tuple[str, str, datetime.datetime]:
    """(token, jti, expiry) for a new session."""
    issued = clock.now().replace(microsecond=0)
    expires = issued + datetime.timedelta(hours=ttl_hours)
    jti = uuid.uuid4().hex
    token = jwt.encode({"sub": username, "jti": jti, "iat": issued, "exp": expires, "iss": ISSUER},
                       key, algorithm="HS256")
    return token, jti, expires


def decode_token(key: bytes, token: str) -> dict:
    """Claims of a valid token; Unauthorized with the reason otherwise."""
    try:
        return jwt.decode(token, key, algorithms=ALGORITHMS, issuer=ISSUER,
                          options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Jeton expiré : reconnectez-vous.", code="token_expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("Jeton invalide : reconnectez-vous.", code="invalid_token") from None
