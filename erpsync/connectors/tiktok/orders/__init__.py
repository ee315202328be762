"""The Orders API (``docs/open-api-full.md`` §3): ``api.OrdersApi``, ``models``, ``schemas``."""
