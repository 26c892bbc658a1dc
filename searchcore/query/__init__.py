"""The query layer: text in, a validated plan out.

``parser`` turns the query language (words, phrases, AND/OR/NOT, ``field:value``,
prefixes, fuzzy terms, boosts) into a query tree; ``daterange`` reads the date
values it and the ``since``/``until`` filters accept.
"""
