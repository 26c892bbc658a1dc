"""Execution over arrays: per-segment columns and postings read as numpy arrays.

``segment_arrays`` decodes a segment's field-length column once per reader.
"""
