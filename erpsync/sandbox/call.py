"""What an emulated-API handler receives; its own module so every handler module can import it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request

from erpsync.sandbox.auth import Caller
from erpsync.sandbox.envelope import parse_json_body
from erpsync.sandbox.model import Shop
from erpsync.sandbox.state import SandboxState


@dataclass
class Call:
    """What a handler gets: the state, the authenticated caller, the query and the path values."""

    state: SandboxState
    caller: Caller
    request: Request
    params: dict[str, str]
    values: dict[str, str]

    @property
    def shop(self) -> Shop:
        """The caller's shop (every path except /authorization and uploads carries a shop_cipher)."""
        assert self.caller.shop is not None
        return self.caller.shop

    def body(self) -> dict[str, Any]:
        """The JSON object body ({} when empty); 400/36009004 if it is not one."""
        return parse_json_body(self.request.get_data(cache=True))


Handler = Callable[[Call], dict[str, Any]]
