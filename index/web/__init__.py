"""Readers for the web's formats: HTML pages, WARC archives, RSS/Atom feeds.

One module per job: :mod:`.charset` turns a page's bytes into text as the page says,
:mod:`.html` extracts the article and its metadata (trafilatura), :mod:`.warc` picks
the article pages out of a web archive (fastwarc), :mod:`.feeds` reads feed entries
(feedparser). Each reader yields the same ``RawRecord``/``Skipped`` items as the
file readers in :mod:`searchcore.index.readers`, which dispatches to them.
"""
