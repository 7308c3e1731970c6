"""Secrets out of every message: Apprise URLs with their passwords, tokens and secret paths masked.

Apprise masks the secrets of the URLs it understands (``url(privacy=True)``); a URL it refuses,
a config value of the wrong type or a line of Apprise's own log is masked here instead, by
shape, so that nothing the user wrote as a credential ever reaches a terminal, a cron mail or
a journal. What is kept is what identifies the destination to its owner: the scheme, the host
(when it is a host name or address), a user name, and short path words such as ``/hook``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

#: Replaces a secret, or the middle of one (the first two characters stay, as a reminder).
MASK = "****"

#: Query keys whose values are credentials (lower case, ``-`` and ``_`` removed).
_SECRET_KEYS = frozenset(
    {
        "token", "key", "apikey", "secret", "password", "pass", "pwd", "passwd", "auth",
        "accesstoken", "authtoken", "apptoken", "usertoken", "webhook", "sig", "signature",
        "bearer", "botToken".lower(), "privatekey", "clientsecret", "code",
    }
)  # fmt: skip
#: A path word, or a host without a dot, that looks generated rather than chosen: long, or
#: mixing letters and digits (tokens, webhook ids, secret ntfy topics).
_TOKEN_LONG = 16
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>(),]*")


def _looks_secret(word: str) -> bool:
    if not word:
        return False
    has_digit = any(c.isdigit() for c in word)
    has_alpha = any(c.isalpha() for c in word)
    return len(word) >= _TOKEN_LONG or (len(word) >= 8 and has_digit and has_alpha)


def _mask_word(word: str) -> str:
    return word[:2] + MASK if len(word) > 4 else MASK


def mask_url(url: str) -> str:
    """``url`` with its credentials masked, whatever its shape (it need not be valid).

    ``json://user:S3cretPW@host:notaport/x`` becomes ``json://user:****@host:notaport/x``;
    path words and dotless hosts that look like tokens keep their first two characters
    (``ntfy://ntfy.sh/my****``); values of query keys such as ``token`` or ``password`` become
    ``****``. Idempotent: a masked URL is left as it is.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    rest, hash_sep, fragment = rest.partition("#")
    rest, query_sep, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        if colon:
            userinfo = f"{user}:{MASK}"
        elif _looks_secret(user):
            userinfo = _mask_word(user)
        authority = f"{userinfo}@{hostport}"
    host, port = hostport.split(":", 1) if hostport.count(":") == 1 else (hostport, "")
    if host and "." not in host and not host.startswith("[") and _looks_secret(host):
        authority = authority.replace(host, _mask_word(host), 1)
    if len(port) >= 6 and not port.isdigit():  # not a port: tgram://BOT_ID:TOKEN/...
        authority = authority[: -len(port)] + _mask_word(port)
    words = [_mask_word(w) if _looks_secret(w) and MASK not in w else w for w in path.split("/")]
    masked = f"{scheme}://{authority}{slash}{'/'.join(words)}"
    if query_sep:
        pairs = []
        for name, value in parse_qsl(query, keep_blank_values=True):
            secret = name.lower().replace("_", "").replace("-", "") in _SECRET_KEYS
            pairs.append(f"{name}={MASK if secret and value else value}")
        masked += "?" + "&".join(pairs)
    if hash_sep:
        masked += "#" + (MASK if fragment else "")
    return masked


def mask_text(text: str) -> str:
    """``text`` with every URL in it passed through :func:`mask_url`."""
    return _URL.sub(lambda found: mask_url(found.group(0)), text)
