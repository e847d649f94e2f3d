"""Conviso Platform <-> Azure Boards sync: the library behind ``function_app.py``.

``rules`` holds the pure decisions; everything that talks to the outside world lives
beside it (clients, state, auth) and is composed in one place.
"""
