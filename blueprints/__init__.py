"""Trigger groups as Azure Functions blueprints, registered by ``function_app.py``.

Only ``function_app.py`` is indexed by the Functions host; each blueprint here is an
ordinary import it registers with ``app.register_functions(bp)``. A blueprint is thin in
the same way: parse, call the service, answer.
"""
