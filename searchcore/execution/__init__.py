"""Execution over arrays: per-segment columns and postings read as numpy arrays.

``columns``         per-document columns (published, source, categories, language,
                    lengths, deletions, story id) over a searcher's document numbers,
                    stored as ``.npy`` files beside each whoosh segment; its module
                    docstring is the API other modules use.
``segment_arrays``  arrays decoded from whoosh's own files once per segment reader.
"""
