"""The Argo Server as the ``argo`` CLI finds it: ARGO_SERVER, ARGO_SECURE, ARGO_TOKEN and the rest."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from urllib.parse import urlsplit

from wfsync.errors import ConfigError

_TRUE = frozenset({"1", "t", "true", "yes", "y", "on"})


_FALSE = frozenset({"0", "f", "false", "no", "n", "off", ""})


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """Where the Argo Server is and how to reach it (the client's constructor arguments)."""

    server_url: str
    namespace: str
    token: str
    insecure_skip_verify: bool
    base_href: str


def server_settings(env: Mapping[str, str], namespace: str) -> ServerSettings | None:
    """The Argo Server the ``argo`` CLI would use from these variables; None when ARGO_SERVER is unset.

    ``ARGO_SERVER`` is ``host:port``; ``ARGO_SECURE`` (default true) chooses https, and
    ``ARGO_INSECURE_SKIP_VERIFY``, ``ARGO_BASE_HREF``, ``ARGO_TOKEN`` and ``ARGO_NAMESPACE``
    (which overrides ``namespace``) mean what they mean to ``argo``.
    """
    server = (env.get("ARGO_SERVER") or "").strip()
    if not server:
        return None
    secure = env_flag(env, "ARGO_SECURE", default=True)
    insecure = env_flag(env, "ARGO_INSECURE_SKIP_VERIFY", default=False)
    if "://" in server:
        scheme = server.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise ConfigError(f"ARGO_SERVER={server!r} is not host:port (nor an http or https URL)")
        url = server.rstrip("/")
    else:
        url = f"{'https' if secure else 'http'}://{server.rstrip('/')}"
    parts = urlsplit(url)
    if not parts.hostname or parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigError(f"ARGO_SERVER={server!r} is not host:port (for example localhost:2746)")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigError(f"ARGO_SERVER={server!r} has an invalid port") from None
    return ServerSettings(
        url,
        (env.get("ARGO_NAMESPACE") or "").strip() or namespace,
        token=env.get("ARGO_TOKEN", ""),
        insecure_skip_verify=insecure,
        base_href=env.get("ARGO_BASE_HREF", ""),
    )


def env_flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    """A boolean variable as ``argo`` reads it; anything else is a configuration error, not a guess."""
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return default if value == "" else False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def bearer(token: str) -> str:
    """The Authorization header value: ``Bearer <token>`` whether or not the prefix was given."""
    raw = token.strip()
    if raw.lower().startswith("bearer "):
        raw = raw[7:].strip()
    return f"Bearer {raw}" if raw else ""
