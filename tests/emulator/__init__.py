"""Tests of the local emulator (``sharokey.emulator``), seen from HTTP clients and its command."""
