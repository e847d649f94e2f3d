"""Local development only: the development host, the emulators and the demo.

Nothing deployed imports this package (``.funcignore`` drops it), so ``func start``
and Azure run ``function_app.py`` without it.
"""
