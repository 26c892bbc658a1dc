"""The identity of a web article: its URL in one canonical form.

The same story reaches an archive several times: crawled twice, with a campaign
suffix (``?utm_source=twitter``), through ``http://`` and ``https://WWW.Site.com:443``,
or first in a feed and then as a page. If its id is its canonical URL, each of these
replaces the earlier copy instead of adding another. The forms below are the ones
that never change which page a server returns (RFC 3986 section 6 normalisation plus
the tracking parameters that analytics tools append), so two different articles
never share an id:

* scheme and host lower case, a trailing dot and the default port (80, 443) dropped,
  an IDN host kept as written (Unicode);
* the fragment (``#comments``) removed: it is never sent to the server;
* tracking parameters removed (``utm_*``, ``fbclid``, ``gclid`` ... see
  :data:`TRACKING_PARAMS`); the other parameters keep their order;
* an empty path becomes ``/``; percent-escapes of unreserved characters decoded.

``http`` and ``https`` are *not* merged, nor ``www.`` and the bare host: some sites
serve different things on them, and a canonical link in the page (which the HTML
reader prefers when there is one) settles it anyway.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonical_url"]

#: Query parameters that only say how a reader arrived (exact names, lower case);
#: every ``utm_*`` parameter is removed too.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid",
    "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
    "vero_id", "wt.mc_id", "cmpid", "ncid", "ito", "ocid", "sr_share", "smid",
    "_ga", "_gl", "ref_src", "spm",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED_ESCAPE = re.compile(r"%(2[DdEe]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])")


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def canonical_url(url: str) -> str:
    """``url`` in canonical form (see the module docstring); other text unchanged.

    >>> canonical_url("HTTPS://WWW.Example.COM:443/a/b?utm_source=x&id=3#top")
    'https://www.example.com/a/b?id=3'
    >>> canonical_url("not a url")
    'not a url'
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return text
    host = parts.hostname.rstrip(".")          # urlsplit lower-cases hostname
    if ":" in host:
        host = f"[{host}]"                      # IPv6 literal
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    path = _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), parts.path) or "/"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _is_tracking(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((scheme, netloc, path, query, ""))
