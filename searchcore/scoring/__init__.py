"""Scoring: the ranking configuration, the BM25F kernel, and the scorers that use it.

``ranking`` holds :class:`RankingConfig` (k1, b, field weights, idf, recency) and the
idf functions; ``bm25f`` the saturation kernel and whoosh-matcher scorers. The array
executor (``searchcore.execution.executor``) scores with the same kernel.
"""
