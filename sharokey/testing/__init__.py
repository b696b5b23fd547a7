"""Test kit: a pytest plugin that gives your tests a running Sharokey emulator.

Installed with the package and registered through the ``pytest11`` entry point
(``sharokey.testing.plugin``), so the fixtures are there in any project that
has ``sharokey[aiohttp]`` installed: ``sharokey_emulator``, ``sharokey_client``
and ``sharokey_async_client``. See ``docs/emulator.md``. Importing this package
imports neither aiohttp nor the emulator; the first fixture used does.
"""
