"""Which URLs a local run may reach: this machine only, unless the user allows the network.

A local run is a verification tool: reaching the public internet from it makes the verdict depend
on someone else's server (and leaks requests from a developer's laptop or CI). So HTTP templates,
``http`` artifacts and ``git`` artifacts go to loopback addresses and local paths only; anything
else is refused with an ``unsupported: ... needs the network`` reason unless ``--allow-network``.
Host names are never resolved here: resolving one is already a network access.
"""

from __future__ import annotations

import ipaddress
import urllib.parse

ALLOW_HINT = "run with --allow-network to let it through"


def is_local_host(host: str) -> bool:
    """Whether ``host`` names this machine without resolving it (localhost, 127/8, ::1)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_url(url: str) -> bool:
    """Whether ``url`` stays on this machine: ``file:``, a plain path, or a loopback host."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme in ("", "file"):
        # scp-like git remotes (``git@host:repo``) have no scheme but name a host
        return not (parsed.scheme == "" and ":" in url.split("/", 1)[0])
    return is_local_host(parsed.hostname or "")


def network_reason(what: str, url: str) -> str:
    """The refusal for a ``url`` that is not on this machine."""
    return f"unsupported: {what}: {url} is not on this machine (needs the network; {ALLOW_HINT})"


def check(what: str, url: str, *, allow_network: bool) -> str | None:
    """A refusal reason for ``url`` (None when it may be reached)."""
    if allow_network or is_local_url(url):
        return None
    return network_reason(what, url)


def static_check(what: str, url: object, *, allow_network: bool) -> str | None:
    """:func:`check` for a URL as written in YAML: templated ones are decided when they run."""
    if not isinstance(url, str) or "{{" in url:
        return None
    return check(what, url, allow_network=allow_network)
