"""An app key, app secret or token checked where it is loaded: the config, a token endpoint's answer.

A value pasted from a terminal, or read from a file or an environment variable, often carries a
trailing newline or space. Sent as it is, it breaks the signature or the request header, and
the error ``requests`` raises for a bad header quotes the value (its ``repr``), so a token could
end up in a message; as the key of a signature checked here (the webhook receiver's app secret)
it fails every genuine signature. Surrounding whitespace is therefore stripped, and a value with
whitespace, a control character or a non-ASCII character inside (none of TikTok's credentials
has one) is refused with an error naming the option, never the value.

It lives in the core because both sides load such values: a connector's options (the TikTok
seller's) and the core's own ``[service.webhooks]`` and ``[service.ui]`` tables, which may not
import a connector. The status page's token is the operator's own choice, typed into a form and
never sent in a header or signed with, so it may hold any character inside: only the whitespace
around it goes.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields

#: printable ASCII without the space: what the app key, the app secret and the tokens are made of
_USABLE = re.compile(r"[\x21-\x7e]+")


def clean_credential(value: str, name: str, *, any_inside: bool = False) -> str:
    """``value`` without surrounding whitespace; ValueError naming ``name`` (not the value) when unusable.

    ``any_inside``: only an empty value is unusable (a secret the operator chose and types).
    """
    text = value.strip()
    if not text:
        raise ValueError(f"{name} is empty" + (" (whitespace alone)" if value else ""))
    if not any_inside and not _USABLE.fullmatch(text):
        raise ValueError(
            f"{name} holds a space, a control character or a non-ASCII character (something pasted "
            "along with it?); the value is not shown"
        )
    return text


class Credential(fields.String):
    """A config option holding a credential: stripped and checked by :func:`clean_credential`.

    ``empty_is_unset``: an option whose default is "" (nothing set, fall back to something else)
    keeps a written "" as that default; a value of whitespace alone is still refused as empty,
    since it is a secret file or variable filled wrongly, not a choice. ``any_inside``: see
    :func:`clean_credential`.
    """

    def __init__(self, *, empty_is_unset: bool = False, any_inside: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.empty_is_unset = empty_is_unset
        self.any_inside = any_inside

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.empty_is_unset and text == "":
            return text
        try:
            return clean_credential(text, "the value", any_inside=self.any_inside)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
