"""Replay tests: every client method, both transports, from the cassettes in ``cassettes/``.

They replay by default with no network at all; ``SHAROKEY_RECORD=1`` re-records them
against the emulator, or a real deployment (see ``docs/cassettes.md``).
"""
