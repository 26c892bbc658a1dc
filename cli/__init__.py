"""The ``searchcore`` command line (installed as ``searchcore.cli``).

A thin click layer over the library: each command parses its options, calls one
library function and prints the result. ``main.cli`` is the console-script entry
point; see ``main`` for the map of the modules.
"""
