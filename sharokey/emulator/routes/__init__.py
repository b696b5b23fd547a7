"""The emulator's routes, one module per resource.

Each module has ``add_routes(app)``, which ``create_app`` calls in turn:
``health``, ``secrets``, ``reveal``, ``requests``, ``pages`` (the viewer and
request pages a browser opens) and ``control`` (``/_emulator/...``). What
handlers share (auth, bodies, lists, the delete answer) is in ``_common``.
This package imports none of them itself, so no module loops back through it.
"""
