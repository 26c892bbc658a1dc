"""Sharded indexes: built by Dask tasks, searched as one index.

A sharded index is an ordinary searchcore index folder whose live generation holds
one whoosh index per shard instead of one::

    news-index/
      searchcore.json          manifest: ..., "generation": "gen-000004", "shards": {...}
      write.lock
      gen-000004/
        readers.lock           one reader guard for the whole set of shards
        shard-000/ ... shard-007/   each an ordinary generation's contents
        stories/               the stories across shards (one index's stories)

The pieces, in data-flow order:

``routing``     which shard an article id lives in (a stable hash of the id)
``partition``   sources cut into pieces a worker reads: files, big JSON Lines files
                by byte ranges at line starts
``cluster``     the Dask client: a given scheduler or a LocalCluster, the shared-storage
                probe, Dask's failures turned into :class:`~searchcore.errors.ClusterError`
``tasks``       what runs on the workers: route a piece's articles into per-shard
                spill files, build one shard from its spill files
``build``       the build: lock, pieces -> spill -> shards -> one manifest switch
``stories``     the stories of every shard's articles as one index's, kept beside
                the shards and caught up after every write
``search``      a search's parts, one per shard, scored with the collection's
                statistics (the search itself is :mod:`searchcore.execution.pipeline`)
``remote``      the parts run on a Dask cluster's workers (``open_index(scheduler=)``)
``index``       :class:`ShardedIndex`, the :class:`~searchcore.Index` API over shards

Why one generation for the whole set: the switch from the old shards to the new is
the same single ``os.replace`` of the manifest as an unsharded rebuild, so a reader
sees the old set or the new one, never a mix, and the old set is removed (once no
reader holds it) only after the switch.
"""
