"""Tests of the clients (``Sharokey``, ``AsyncSharokey``) and what they stand on: the sans-I/O
core, retries, transports, configuration, validation, models and pagination."""
