"""TikTok Shop webhooks: ``receiver.WebhookReceiver`` (and its WSGI app), ``models``, ``schemas``.

``receiver.py`` takes the place of ``api.py``: erpsync does not call this API, it is called by it.
"""
