"""The bulk writer's term-index hash tables (``bulk_segment.TermIndexWriter``) are
the bytes whoosh's own ``HashWriter._write_hashes`` writes: same keys, both ways."""

from __future__ import annotations

import random

from whoosh.filedb.filestore import RamStorage
from whoosh.filedb.filetables import OrderedHashWriter

from searchcore.whoosh_boundary.bulk_segment import TermIndexWriter


def _table(keys: list[bytes], ours: bool) -> bytes:
    storage = RamStorage()
    writer = OrderedHashWriter(storage.create_file("t"))
    if ours:
        writer.__class__ = TermIndexWriter        # as the bulk writer does
    for key in keys:
        writer.add(key, b"v" + key[:3])
    writer.close()
    return storage.open_file("t").read()


def test_hash_tables_equal_whoosh_s() -> None:
    rng = random.Random(5)
    for count in (0, 1, 7, 3000):
        keys = sorted({bytes(rng.randrange(97, 123) for _ in range(rng.randrange(1, 12)))
                       for _ in range(count)})
        assert _table(keys, ours=True) == _table(keys, ours=False)
