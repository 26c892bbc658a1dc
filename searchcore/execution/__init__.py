"""Execution over arrays: the side index beside each whoosh segment, and the executor.

``columns``         per-document columns (published, source, categories, language,
                    lengths, deletions, story id) over a searcher's document numbers;
                    its module docstring is the API other modules use.
``postings``        per segment and field: term dictionary, CSR postings (documents,
                    frequencies) and positions, memory-mapped ``.npy`` files.
``executor``        a parsed query evaluated a posting list at a time, scored as whoosh
                    scores it (whoosh's matchers stay the reference in the tests).
``search``          execute -> filter -> rank or date-sort -> the first k, for ``Index.search``.
``sidefiles``       atomic writes and mmapped reads of the files.
``segment_arrays``  arrays decoded from whoosh's own files once per segment reader.
"""
