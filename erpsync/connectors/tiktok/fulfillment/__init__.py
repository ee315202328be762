"""The Fulfillment and Logistics APIs (``docs/open-api-full.md`` §4).

``api.FulfillmentApi``, ``models``, ``schemas``, and ``errors.py`` as the one extra module:
fulfilment is the only API whose error codes erpsync turns into narrower error classes (already
shipped, not shipped yet, tracking window closed).
"""
