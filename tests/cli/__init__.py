"""Tests of the ``sharokey`` command (``sharokey.cli`` and ``sharokey._cli``)."""
