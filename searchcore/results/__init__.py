"""Presenting results: the typed :class:`Results`/:class:`Hit`, snippets, rendering.

``types`` holds the result types (and ``to_dict``, the ``--json`` schema);
``snippets`` the highlighted fragments; ``render`` the text, ANSI and HTML forms.
"""
