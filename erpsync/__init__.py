"""erpsync: keep TikTok Shop Seller Center and a third-party ERP in agreement."""

__version__ = "0.1.0"
