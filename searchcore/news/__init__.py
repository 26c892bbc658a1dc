"""News work on top of search: facets, timelines, significant terms, stories, similar."""
