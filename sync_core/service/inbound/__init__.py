"""Boards → Conviso: a person moved a card (R7, R8, R9).

Cheap checks first (no remote call): unlinked items, the integration's own echoes and
out-of-order events stop at ``screen_inbound``. Only a real move costs a Conviso read
(the current status and what it permits) and, when the status changes, one mutation.

The identity the integration writes as is what tells its own revisions from a person's
(R8) when the answer to its write was lost. It is learned when the configuration is
saved, else here, by the first event that needs it (one connectionData read), and kept
with the integration. A card on several teams' boards is read on the route's board only
(R7): the message carries every board's column, and only here is the route known.

The flow, one module per step (``flow.apply_board_change`` drives it)::

    screen     the link, the writer identity, echoes and stale revisions, the route (R8, R9)
    flow       the route's board: a status move, or a move elsewhere / a reassignment alone
    status     read Conviso, decide, change the status (R7, R24)
    reassign   carry a person's reassignment to Conviso (R23)
    remember   keep the newest revision, the card's place and Conviso's status (R9)
    identity   learn whom the integration writes as (R8)
    event      the event value every step takes
"""

from .flow import apply_board_change
from .identity import learn_writer_identity, learn_writer_identity_on_save
from .screen import route_by_key

__all__ = [
    "apply_board_change",
    "learn_writer_identity",
    "learn_writer_identity_on_save",
    "route_by_key",
]
