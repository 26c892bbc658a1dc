"""Which shard an article lives in: a stable hash of its id.

Routing by id (not by position in the input) is what lets ``Index.add`` and
``delete`` find an article's shard without asking every shard, and what guarantees
an id never lives in two shards: a replaced article lands in the shard its first
copy is in. The hash is BLAKE2b of the id's UTF-8 bytes, so it is the same in every
process and on every machine (Python's ``hash()`` is salted per process).
"""

from __future__ import annotations

import hashlib

#: Recorded in the manifest: an index built with another rule must not be routed by this one.
ROUTING = "blake2b-64-mod"


def shard_of(article_id: str, shards: int) -> int:
    """The shard (``0 <= k < shards``) that holds the article with ``article_id``."""
    digest = hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_name(k: int) -> str:
    """The folder of shard ``k`` inside a generation: ``shard-003``."""
    return f"shard-{k:03d}"
