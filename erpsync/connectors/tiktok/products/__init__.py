"""The Products API (``docs/open-api-full.md`` §2): ``api.ProductsApi``, ``models``, ``schemas``, ``checks``.

``checks.py`` is the one extra module: products are the only API erpsync writes bodies to whose
fields can be checked before sending (quantities, prices, titles).
"""
