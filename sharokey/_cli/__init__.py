"""The command line's commands, formatting and file handling.

Imported only once a command runs (``sharokey --help`` never loads it), so
the modules here may import the client, models and converter freely, but
still do so inside functions where the cost matters.
"""
