"""The whoosh boundary: every private whoosh access and every workaround lives here.

No module outside this package reaches into whoosh's internals (private attributes,
byte-level W3 reads and writes, pickles). Each workaround of a whoosh bug comes with a
test showing stock whoosh still has the bug, so it can be removed once fixed.
"""
