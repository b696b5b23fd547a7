"""The store's SQL, one module per kind of row, over one connection.

``database`` holds the schema, the connection and what every table shares;
``secrets``, ``reveal`` and ``requests`` hold each resource's rows as a
mix-in of :class:`~sharokey.emulator.tables.database.Database`, composed into
:class:`~sharokey.emulator.store.Store`. This package imports none of them
itself, so no module loops back through it.
"""
