"""The parts of the ``sharokey`` command line behind :func:`sharokey.cli.main`.

``parser``, ``errors`` and ``servers`` are loaded by every run, ``sharokey
--help`` included, so they import only the standard library and
:mod:`sharokey.errors`. The commands (``commands`` and the modules it
dispatches to) are imported only once a command runs; they may import the
client, models and converter, but still do so inside functions where the
cost matters.
"""
