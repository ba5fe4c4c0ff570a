"""Which values wfsync never prints: secret NAMES and secret-looking VALUE SHAPES, in one list.

Every output that can show template content (``diff`` and ``push`` in text, Markdown and JSON,
``status``, the converter's audit report) masks through this module, so one list decides what is
hidden everywhere. Masking hides a value, never the fact that it changed: :func:`mask_pair` marks
the new side ``<redacted: changed>`` when a hidden value differs.

NAME patterns (mapping keys, ``name:`` of env vars and parameters, ``--flags``, ``NAME=`` and
``name:`` inside scripts and manifests). A name is split into words (``apiKey`` -> api, key;
``GITHUB_PAT`` -> github, pat) and is secret when

- it contains one of the stems ``password``, ``passwd``, ``passphrase``, ``secret``, ``token``,
  ``credential``, ``apikey``, ``privatekey``, ``accesskey``, ``signingkey``, ``webhookurl``,
  ``connectionstring`` (anywhere, separators ignored: ``SLACKWEBHOOKURL``, ``db-password``,
  ``clientSecret``);
- or one of its words is ``auth``, ``authorization``, ``oauth``, ``creds``, ``dsn``, ``pwd``,
  ``cookie`` (``AUTH_HEADER``, ``basicAuth``, ``SENTRY_DSN``);
- or its last word is ``pass`` or ``pat`` (``DB_PASS``, ``GITHUB_PAT``);
- or two adjacent words are ``hook url`` or ``conn str`` (``HOOK_URL``, ``connStr``);

unless its last word is ``name``, ``ref``, ``refs``, ``path``, ``file`` or ``dir``
(``secretName``, ``secretKeyRef``, ``tokenPath``: they say where a secret is, not what it is).
Not secret, on purpose: ``passthrough``, ``compass``, ``bypass``, ``author``, ``authority``,
``path``, ``pattern`` (whole words are compared, not substrings). Stems do match inside words,
so ``tokenizer`` is masked: rare in templates, and masking too much only hides a value, never a
change. Joined-up short words are not split: ``DBPASS`` is not caught, ``DB_PASS`` is; nor are
one-letter flags (``-p secret``: ``-p`` means too many things).

VALUE shapes, masked in any string whatever its name:

- URLs with credentials: ``scheme://user:PASSWORD@host`` (the password), and Slack/Discord
  webhook URLs (the path after the host: it is the credential);
- ``--password=x``, ``--token x``, ``-api-key x`` (a flag whose name is secret), in a string or
  as two list items (``["--password", "x"]``);
- ``NAME=value`` and ``name: value`` where NAME is secret (shell, env files, YAML in a manifest,
  URL query strings ``?token=x``);
- ``Authorization: Bearer x`` / ``Basic x``;
- well-known token formats: GitHub ``ghp_ gho_ ghu_ ghs_ ghr_ github_pat_``, GitLab ``glpat-``,
  Slack ``xoxa- xoxb- xoxp- xoxr- xoxs-``, AWS access key ids ``AKIA``/``ASIA``, ``sk-``/``sk_live_``
  style API keys (OpenAI, Stripe), Google ``AIza``, npm ``npm_``, JWTs (``eyJ...eyJ...sig``);
- PEM private key blocks (``-----BEGIN ... PRIVATE KEY-----`` to ``-----END ...-----``).

A value that is only a reference, ``{{inputs.parameters.x}}``, ``${{ secrets.X }}``, ``$VAR`` or
``${VAR}``, is not a secret and stays visible in value shapes (a reviewer sees the wiring change);
booleans are never masked (``automountServiceAccountToken: false`` stays readable).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

REDACTED = "<redacted>"
REDACTED_CHANGED = "<redacted: changed>"

_STEMS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "apikey",
    "privatekey",
    "accesskey",
    "signingkey",
    "webhookurl",
    "connectionstring",
)
_WORDS = frozenset({"auth", "authorization", "oauth", "creds", "dsn", "pwd", "cookie"})
_LAST_WORDS = frozenset({"pass", "pat"})
_PAIRS = frozenset({("hook", "url"), ("conn", "str")})
"""Adjacent words (``api key``, ``private key``, ... need no pair: joined, they hold a stem)."""
_NOT_SECRET_LAST = frozenset({"name", "ref", "refs", "path", "file", "dir"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_STEM = re.compile("|".join(_STEMS))


@functools.lru_cache(maxsize=8192)
def is_secret_name(name: str) -> bool:
    """Whether a key, variable, parameter or flag called ``name`` holds a secret (see module doc)."""
    words = [w.lower() for w in _WORD.findall(name)]
    if not words or words[-1] in _NOT_SECRET_LAST:
        return False
    if words[-1].endswith("keyref"):  # camel-less ``secretkeyref``
        return False
    if _STEM.search("".join(words)):
        return True
    if words[-1] in _LAST_WORDS or any(w in _WORDS for w in words):
        return True
    return any(pair in _PAIRS for pair in zip(words, words[1:], strict=False))


# -- value shapes -----------------------------------------------------------------------------------

_REFERENCE = re.compile(r"\{\{.*\}\}|\$\{\{.*\}\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\([^)]*\)")
"""A value that only points at a secret (a parameter, an expression, a shell variable)."""

_QUOTED_OR_WORD = r"""(?:\$?\{\{[^}\n]*\}\}|\$\([^)\n]*\)|"[^"\n]*"|'[^'\n]*'|[^\s"'`,;&}\]\)]+)"""
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private key block",
        re.compile(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?P<s>.*?)-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----",
            re.S,
        ),
    ),
    ("url credentials", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@\"']*:(?P<s>[^\s@/\"']+)@")),
    (
        "webhook url",
        re.compile(
            r"\bhttps?://(?:hooks\.slack\.com/(?:services|workflows)|(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks)/(?P<s>[^\s\"'<>]+)"
        ),
    ),
    ("bearer", re.compile(r"\b(?:Bearer|Basic)\s+(?P<s>[A-Za-z0-9._~+/=-]{8,})")),
    (
        "token format",
        re.compile(
            r"(?<![A-Za-z0-9_])(?P<s>"
            r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
            r"|xox[abprs]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}"
            r"|sk-[A-Za-z0-9_-]{20,}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"
            r"|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}"
            r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
        ),
    ),
    (
        "secret flag",
        re.compile(rf"(?<![\w-])--?(?P<n>[A-Za-z][\w.-]*)(?:=|[ \t]+)(?P<s>(?!-){_QUOTED_OR_WORD})"),
    ),
    (
        "secret assignment",
        re.compile(
            rf"(?<![\w.$-])(?P<n>[A-Za-z_][\w.-]*)[\"']?[ \t]*[:=][ \t]*(?P<s>(?!//){_QUOTED_OR_WORD})"
        ),
    ),
)
_NAME_HINTS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "auth",
    "key",
    "pat",
    "cred",
    "dsn",
    "hook",
    "conn",
    "cookie",
)
_GATES: dict[str, tuple[str, ...]] = {
    "private key block": ("private key",),
    "url credentials": ("://",),
    "webhook url": ("hooks.slack.com", "discord"),
    "bearer": ("bearer", "basic"),
    "token format": (
        *("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox", "akia", "asia"),
        *("sk-", "sk_", "rk_", "aiza", "npm_", "eyj"),
    ),
    "secret flag": _NAME_HINTS,
    "secret assignment": _NAME_HINTS,
}
"""Per shape, substrings (of the lowercased text) without which it cannot match: a cheap first test."""


def _needs_name(shape: str) -> bool:
    return shape in ("secret flag", "secret assignment")


def _secret_text(value: str) -> bool:
    """Whether a matched value is a real secret (not a reference, not already masked, not empty)."""
    bare = value.strip("\"'")
    if not bare or bare in _SCHEMES or bare.startswith("<redacted"):
        return False
    return not _REFERENCE.fullmatch(bare)


_SCHEMES = frozenset({"Bearer", "Basic", "Token", "token", "bearer", "basic"})
"""``Authorization: Bearer x``: the scheme is not the secret (the bearer shape masks ``x``)."""


@functools.lru_cache(maxsize=65536)
def scan(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with every secret-shaped value replaced by ``<redacted>``, and those values in order.

    Cached: a diff masks the same strings on both sides and again for every format it prints.
    """
    lowered = text.lower()
    spans: list[tuple[int, int]] = []
    for shape, pattern in _SHAPES:
        if not any(gate in lowered for gate in _GATES[shape]):
            continue
        for m in pattern.finditer(text):
            start, end = m.span("s")
            if _needs_name(shape) and not is_secret_name(m.group("n")):
                continue
            if not _secret_text(m.group("s")) or any(s < end and start < e for s, e in spans):
                continue
            spans.append((start, end))
    if not spans:
        return text, ()
    spans.sort()
    out: list[str] = []
    found: list[str] = []
    at = 0
    for start, end in spans:
        out += [text[at:start], REDACTED]
        found.append(text[start:end])
        at = end
    out.append(text[at:])
    return "".join(out), tuple(found)


def mask_text(text: str) -> str:
    """One string with its secret-shaped values replaced (for messages, reports, log lines)."""
    return scan(text)[0]


def _text_pair(a: str, b: str) -> tuple[str, str]:
    """Both strings masked; when only hidden values differ, the new side says so."""
    ma, found_a = scan(a)
    if a == b:
        return ma, ma
    mb, found_b = scan(b)
    if ma != mb:
        return ma, mb
    if len(found_a) != len(found_b):
        return ma, REDACTED_CHANGED
    parts = mb.split(REDACTED)
    if len(parts) != len(found_b) + 1:  # the text itself held the marker: say so plainly
        return ma, REDACTED_CHANGED
    out = [parts[0]]
    for old, new, rest in zip(found_a, found_b, parts[1:], strict=True):
        out += [REDACTED if old == new else REDACTED_CHANGED, rest]
    return ma, "".join(out)


# -- structures -------------------------------------------------------------------------------------

_SCALARS = frozenset({str, int, float, bool, type(None)})
_NAMED_VALUES = ("value", "default", "enum")
"""In an item with a secret ``name:`` (env var, parameter), the keys that hold its value."""


def mask_pair(before: object, after: object) -> tuple[object, object]:
    """Both sides with secrets replaced; a changed secret stays visibly changed.

    Lists of items with unique string names are paired by name, others by index, as the diff
    pairs them, so a changed secret anywhere stays visible as ``<redacted: changed>``.
    """
    return _mask(before, after, False)


def mask(value: object) -> object:
    """One object with its secrets replaced."""
    return _mask(value, value, False)[0]


def _mask(a: object, b: object, secret: bool) -> tuple[object, object]:
    if a.__class__ in _SCALARS and b.__class__ in _SCALARS:
        if secret:
            return _hide(a, b)
        if isinstance(a, str) and isinstance(b, str):
            return _text_pair(a, b)
        return (scan(a)[0] if isinstance(a, str) else a), (scan(b)[0] if isinstance(b, str) else b)
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        ma = a if isinstance(a, Mapping) else {}
        mb = b if isinstance(b, Mapping) else {}
        named_secret = any(_secret_item_name(m.get("name")) for m in (ma, mb))
        oa: dict[str, object] = {}
        ob: dict[str, object] = {}
        for key in list(ma) + [k for k in mb if k not in ma]:
            # a secret key hides its scalars; a mapping below it is judged by its own keys, so a
            # reference such as ``passwordSecret: {name: s, key: k}`` stays readable
            hide = _secret_key(key) or (named_secret and key in _NAMED_VALUES)
            va, vb = _mask(ma.get(key), mb.get(key), hide)
            if key in ma:
                oa[key] = va
            if key in mb:
                ob[key] = vb
        return _sides(a, b, oa, ob, Mapping, secret)
    if isinstance(a, list) or isinstance(b, list):
        la = a if isinstance(a, list) else []
        lb = b if isinstance(b, list) else []
        names_a, names_b = _names(la), _names(lb)
        if names_a is not None and names_b is not None:
            pa = [names_b.get(item["name"], item) for item in la]
            pb = [names_a.get(item["name"], item) for item in lb]
            flag_a, flag_b = [False] * len(la), [False] * len(lb)
        else:
            pa = [lb[i] if i < len(lb) else item for i, item in enumerate(la)]
            pb = [la[i] if i < len(la) else item for i, item in enumerate(lb)]
            # ``["--password", "x"]``: the item after a secret flag is secret, on both sides alike
            fa, fb = _after_flag(la), _after_flag(lb)
            flag_a = [fa[i] or (i < len(fb) and fb[i]) for i in range(len(la))]
            flag_b = [fb[i] or (i < len(fa) and fa[i]) for i in range(len(lb))]
        outa = [_mask(x, o, secret or flag_a[i])[0] for i, (x, o) in enumerate(zip(la, pa, strict=True))]
        outb = [_mask(o, x, secret or flag_b[i])[1] for i, (x, o) in enumerate(zip(lb, pb, strict=True))]
        return _sides(a, b, outa, outb, list, secret)
    return a, b


def _sides(a: object, b: object, oa: object, ob: object, kind: type, secret: bool) -> tuple[object, object]:
    """The masked containers; a side that is not a container (the type changed) is masked alone."""
    return (
        oa if isinstance(a, kind) else _mask(a, a, secret)[0],
        ob if isinstance(b, kind) else _mask(b, b, secret)[1],
    )


def _hide(a: object, b: object) -> tuple[object, object]:
    """Two scalars under a secret name: hidden, except nothing (None) and booleans."""
    if _plain(a) or _plain(b):
        return (a if _plain(a) else REDACTED), (b if _plain(b) else REDACTED)
    return REDACTED, (REDACTED if a == b else REDACTED_CHANGED)


def _plain(value: object) -> bool:
    return value is None or isinstance(value, bool)


_FLAG = re.compile(r"--?([A-Za-z][\w.-]*)")


def _after_flag(items: list[object]) -> list[bool]:
    """Per item: whether the item before it is a bare secret flag (``--token``, ``-password``)."""
    out = [False] * len(items)
    for i, item in enumerate(items[:-1]):
        if isinstance(item, str):
            m = _FLAG.fullmatch(item)
            if m and is_secret_name(m.group(1)):
                out[i + 1] = True
    return out


def _names(items: list[object]) -> dict[str, object] | None:
    """The items by name when the diff matches this list by name (else None: by index)."""
    named = [i for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)]
    if not items or len(named) != len(items):
        return None
    out: dict[str, object] = {i["name"]: i for i in named}
    return out if len(out) == len(items) else None


def _secret_key(key: object) -> bool:
    return isinstance(key, str) and is_secret_name(key)


def _secret_item_name(name: object) -> bool:
    return isinstance(name, str) and is_secret_name(name)
