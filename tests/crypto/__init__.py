"""Tests of the cipher layer (``sharokey.crypto``)."""
