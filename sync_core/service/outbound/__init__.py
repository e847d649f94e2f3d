"""Conviso → Boards: apply one vulnerability snapshot to its one card (R1–R6, R9, R10).

Load what the rules need, ask them for one decision, execute it, remember the outcome.
A steady-state status change costs one Azure DevOps request: the card last seen is kept
in the link, the board layout is cached, and a stale card is caught by ``test /rev``.

The flow, one module per step (``flow.apply_vulnerability`` drives it)::

    flow       load the vulnerability and its link, choose the route (R3, R22, R24)
    first      no link yet: claim it, then create the card (R1), heal, or wait
    existing   a link: decide on its card and execute, however the race goes (R4, R9)
    create     a card created: the first one, or one replacing a deleted card (R6)
    heal       the card an interrupted create made, found by its tag (R1, R6)
    writes     one guarded PATCH, the link saved, a skip said (R5, R10, R11, R23)
    job        the job value every step takes
"""

from .flow import apply_vulnerability

__all__ = ["apply_vulnerability"]
