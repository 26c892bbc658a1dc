"""The whoosh boundary: every private whoosh access and every workaround lives here.

No module outside this package reaches into whoosh's internals (private attributes,
byte-level W3 reads and writes, pickles). Each workaround of a whoosh bug comes with a
test showing stock whoosh still has the bug, so it can be removed once fixed.

Importing this package imports ``whoosh.compat`` first, through
:func:`~searchcore.whoosh_boundary.lean_imports.import_whoosh_compat`: every searchcore
import passes here (``searchcore/__init__`` imports it first) before any whoosh module
loads.
"""

from searchcore.whoosh_boundary.lean_imports import import_whoosh_compat as _import_whoosh_compat

_import_whoosh_compat()
