"""A local TikTok Shop seller backend for the demo, integration tests and benchmarks.

It emulates the Open API slice of docs/open-api-slice.md (signature, envelope, error codes,
50 QPS limit) and Seller Center's pickup subscription, with a ``/_sandbox/`` admin API to move a
virtual clock, inject faults and emulate address saves. It shares no code with
``erpsync.connectors`` (and imports nothing else from erpsync), so a bug in the client is caught
by the sandbox and vice versa.

    with SandboxServer("demo") as sandbox:
        print(sandbox.url)
"""

from __future__ import annotations

from erpsync.sandbox.app import SandboxApp
from erpsync.sandbox.server import SandboxServer, serve

__all__ = ["SandboxApp", "SandboxServer", "serve"]
