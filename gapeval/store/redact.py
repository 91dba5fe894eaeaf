"""The one redaction pass: credentials never land in anything gapeval writes.

Everything the store writes (answers and their text, raw extras, error and refusal messages,
requests, scores, manifests), the run's messages and what is exported from a store goes through a
:class:`Redactor`, which

- drops mapping keys that name a credential (:func:`is_secret_key`: ``api_key``,
  ``authorization``, ``token``, ``password``, ``secret``, ``cookie`` and their variants — case,
  ``-`` or ``_``, prefixes such as ``openai_api_key``, ``hf_token``, ``x-api-key``);
- replaces the **exact values of the credentials the run was given**, however they arrived (an
  option naming a credential, the variable named by ``api_key_env``, a key in a URL's query or
  user info; :func:`secrets_in`) and the values of environment variables whose names say they hold
  one (``*KEY*``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``...), by ``<redacted>``;
- replaces values that look like a credential (``Bearer …`` and ``Basic …`` followed by a token of
  8 characters or more holding a digit, punctuation or mixed case — not prose such as "Basic
  shapes" —, ``sk-…``, ``hf_…``, ``AIza…``) by ``<redacted>``;
- writes URLs without user info and without a query string that carries a key
  (``?key=``, ``?api_key=``, ``?token=``, ``?sig=``...).

:func:`redact` and :func:`scrub` are the pass with no given credentials (patterns and the
environment's credentials only).

Examples
--------
>>> redact({"base_url": "http://localhost:8000", "api_key": "sk-abc", "headers":
...         {"Authorization": "Bearer xyz", "Accept": "json"}})
{'base_url': 'http://localhost:8000', 'headers': {'Accept': 'json'}}
>>> scrub("HTTP 401 for header Authorization: Bearer sk-proj-abcdefghijklmnop1234")
'HTTP 401 for header Authorization: <redacted>'
>>> scrub("from https://api.example.com/v1?key=AB12cd34&alt=json")
'from https://api.example.com/v1'
>>> Redactor(secrets=frozenset({"zq9-unguessable"})).text("echo: zq9-unguessable")
'echo: <redacted>'
>>> scrub("Basic shapes and Basic understanding stay")
'Basic shapes and Basic understanding stay'
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = ["REDACTED", "Redactor", "default_redactor", "is_secret_key", "redact", "scrub", "secrets_in"]

REDACTED = "<redacted>"

_SECRET_NAMES = frozenset(
    {
        "apikey",
        "api_key",
        "auth",
        "authorization",
        "proxy_authorization",
        "bearer",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "cookie",
        "set_cookie",
        "credentials",
        "private_key",
        "session_token",
    }
)
_SECRET_SUFFIXES = ("_api_key", "_apikey", "_token", "_secret", "_password", "_credentials")
#: Query parameters that carry a key in URLs (besides the names of :func:`is_secret_key`).
_URL_KEYS = frozenset({"key", "sig", "signature", "x_amz_signature", "x_goog_signature"})
#: Words in an environment variable's name that say it holds a credential.
_ENV_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH")
#: Shorter values are not treated as credentials (they would redact ordinary words).
MIN_SECRET_LENGTH = 8

_SECRET_VALUES = re.compile(
    r"(?:Bearer|Basic)\s+(?P<token>[A-Za-z0-9._~+/=-]+)"  # HTTP authorization values
    r"|\bsk-[A-Za-z0-9_-]{16,}"  # OpenAI-style keys
    r"|\bhf_[A-Za-z0-9]{20,}"  # Hugging Face tokens
    r"|\bAIza[0-9A-Za-z_-]{30,}"  # Google API keys
)
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")


def _looks_like_token(text: str) -> bool:
    """Whether the word after ``Bearer``/``Basic`` is a credential, not prose ("Basic shapes")."""
    return len(text) >= 8 and (
        any(c.isdigit() or c in "._~+/=-" for c in text) or (not text[1:].islower() and not text.isupper())
    )


def _pattern(match: re.Match[str]) -> str:
    token = match.group("token")
    return match.group(0) if token is not None and not _looks_like_token(token) else REDACTED


def is_secret_key(name: str) -> bool:
    """Whether a mapping key names a credential.

    Examples
    --------
    >>> [is_secret_key(k) for k in ("API-Key", "hf_token", "max_new_tokens", "tokenizer")]
    [True, True, False, False]
    """
    normal = name.strip().lower().replace("-", "_")
    if normal.startswith("x_"):
        normal = normal[2:]
    return normal in _SECRET_NAMES or normal.endswith(_SECRET_SUFFIXES)


def _url_secret(name: str) -> bool:
    return is_secret_key(name) or name.strip().lower().replace("-", "_") in _URL_KEYS


def _clean_url(match: re.Match[str]) -> str:
    url = match.group(0)
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        netloc = parts.netloc
    except ValueError:
        return url
    keyed = any(_url_secret(name) for name, _ in query)
    if "@" in netloc:
        netloc = netloc.rpartition("@")[2]
    elif not keyed:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, "" if keyed else parts.query, parts.fragment))


def _environment_secrets(environ: Mapping[str, str]) -> frozenset[str]:
    return frozenset(
        value
        for name, value in environ.items()
        if any(word in name.upper() for word in _ENV_WORDS) and len(value) >= MIN_SECRET_LENGTH
    )


def secrets_in(options: Mapping[str, Any], *, environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """The credential values an adapter's ``options`` give, however they arrive.

    The value of an option naming a credential (``api_key=...``); the value of the environment
    variable named by an option ending in ``_env`` whose stem names one (``api_key_env=VLLM_KEY``);
    the password and the keyed query values of URLs (``base_url=https://h/v1?key=...``); at any
    depth. Values shorter than :data:`MIN_SECRET_LENGTH` are left out.

    Examples
    --------
    >>> sorted(secrets_in({"base_url": "https://u:pa55word@h/v1?key=AB12cd34ef", "api_key_env": "K"},
    ...                   environ={"K": "s3cr3t-from-env"}))
    ['AB12cd34ef', 'pa55word', 's3cr3t-from-env']
    """
    environ = os.environ if environ is None else environ
    found: set[str] = set()

    def visit(name: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                visit(str(key), item)
        elif isinstance(value, list | tuple):
            for item in value:
                visit(name, item)
        elif isinstance(value, str):
            if is_secret_key(name):
                found.add(value)
            if name.lower().endswith("_env") and is_secret_key(name[:-4]) and environ.get(value):
                found.add(environ[value])
            for url in _URL.findall(value):
                try:
                    parts = urlsplit(url)
                    found.update(v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _url_secret(k))
                    if parts.password:
                        found.add(parts.password)
                except ValueError:
                    continue

    visit("", options)
    return frozenset(value for value in found if len(value) >= MIN_SECRET_LENGTH)


@dataclass(frozen=True)
class Redactor:
    """The redaction pass for the credentials ``secrets`` (exact values), the environment's
    credentials and credential-looking values. Build one per run; it never changes."""

    secrets: frozenset[str] = frozenset()
    """Exact credential values to replace wherever they occur."""
    environment: bool = True
    """Also replace the values of environment variables whose names say they hold a credential."""

    def __post_init__(self) -> None:
        values = set(self.secrets) | (set(_environment_secrets(os.environ)) if self.environment else set())
        ordered = sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)
        pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        object.__setattr__(self, "_exact", pattern)

    def with_secrets(self, values: Iterable[str]) -> Redactor:
        """A redactor that also replaces ``values``."""
        return Redactor(secrets=self.secrets | frozenset(values), environment=self.environment)

    def text(self, text: str) -> str:
        """``text`` with credentials replaced by ``<redacted>`` and keyed URLs cleaned."""
        exact: re.Pattern[str] | None = self._exact  # type: ignore[attr-defined]
        if exact is not None:
            text = exact.sub(REDACTED, text)
        text = _SECRET_VALUES.sub(_pattern, text)
        return _URL.sub(_clean_url, text) if "://" in text else text

    def value(self, value: Any) -> Any:
        """A copy of ``value`` with credential keys dropped and every string cleaned (:meth:`text`).

        Mappings (whose keys become strings), lists and tuples are walked; the input is never modified.
        """
        if isinstance(value, Mapping):
            return {str(k): self.value(v) for k, v in value.items() if not is_secret_key(str(k))}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return self.text(value) if isinstance(value, str) else value

    def strings(self, value: Any) -> Any:
        """Like :meth:`value` but keeping every key (for records whose fields must all stay)."""
        if isinstance(value, Mapping):
            return {k: self.strings(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.strings(item) for item in value]
        return self.text(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=4)
def _default(environment_secrets: frozenset[str]) -> Redactor:
    return Redactor(secrets=environment_secrets, environment=False)


def default_redactor() -> Redactor:
    """The pass without given credentials: patterns and the environment's credentials."""
    return _default(_environment_secrets(os.environ))


def scrub(text: str) -> str:
    """Replace credential-looking substrings of ``text`` (and the environment's credentials) by
    ``<redacted>``; clean keyed URLs."""
    return default_redactor().text(text)


def redact(value: Any) -> Any:
    """Return a copy of ``value`` with credential keys dropped and credential strings scrubbed.

    Mappings (whose keys are turned into strings), lists and tuples are walked recursively; other
    values are returned unchanged. The input is never modified.
    """
    return default_redactor().value(value)
