"""``flow_data``: the page the customer must open next, and the CARDGATE session it opens.

The create answer of a card payment is ``process_pending`` with ``flow_data`` naming the
hosted payment page; its ``metadata`` holds the CARDGATE invoice id (``sid``, ``cgi_…``) and
a bearer ``token`` for ``POST /payment/sale`` (seed ``001_8c1730c6689fa4dd.txt``). The token
is a credential: it is never read here, and ``signature.SECRETS`` declares it redacted.
"""

from __future__ import annotations

from paychart.adapters._wire import Json
from paychart.event import CustomerAction

from .fields import WIRE, object_or_empty


def customer_action(attrs: Json, where: str) -> CustomerAction | None:
    """``flow_data`` as the redirect the customer must follow (URL, method, form params)."""
    flow = object_or_empty(attrs, "flow_data", where)
    here = f"{where}flow_data."
    url = WIRE.text(flow, "action", here)
    if url is None:
        return None
    method = WIRE.text(flow, "method", here, max_len=16) or "GET"
    params = object_or_empty(flow, "params", here)
    shown = tuple((key, WIRE.text(params, key, f"{here}params.") or "")
                  for key in sorted(params))
    return CustomerAction(url, method.upper(), shown)


def gateway_session(attrs: Json, where: str) -> str | None:
    """The CARDGATE invoice id (``flow_data.metadata.sid``) a sale will be initiated for."""
    flow = object_or_empty(attrs, "flow_data", where)
    meta = object_or_empty(flow, "metadata", f"{where}flow_data.")
    return WIRE.identifier(meta, "sid", f"{where}flow_data.metadata.", required=False)
