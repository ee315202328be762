"""``erpsync secrets``: the encryption at rest of the shops' OAuth tokens (``core/secrets.py``).

Operators set ``ERPSYNC_SECRET_KEYS`` (Fernet keys, comma-separated, newest first), then run
``secrets rotate`` to encrypt what is stored; to change keys, put the new one in front, rotate,
then drop the old one. Nothing here prints a token or a key, except ``new-key``, whose whole job
is to print a fresh key.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from erpsync.cli_common import EXIT_ERROR, EXIT_OK
from erpsync.plugins.context import CommandContext

__all__ = ["secrets"]


@click.group()
def secrets() -> None:
    """Encrypt the shops' tokens at rest, rotate the key, see which key opens them.

    ERPSYNC_SECRET_KEYS holds one or more Fernet keys, comma-separated, newest first: new tokens
    are encrypted with the first, and any of them decrypts. Once a token was stored encrypted,
    erpsync refuses to run without a key that opens it (never falling back to plain text).

    \b
    First time:
      export ERPSYNC_SECRET_KEYS=$(erpsync secrets new-key)
      erpsync secrets rotate        encrypts the tokens already stored
    Changing the key:
      ERPSYNC_SECRET_KEYS="NEW,OLD" erpsync secrets rotate
      then set ERPSYNC_SECRET_KEYS=NEW everywhere erpsync runs
    """


@secrets.command("new-key")
def new_key_command() -> int:
    """Print a fresh Fernet key (keep it with your other secrets; losing it loses the tokens)."""
    from erpsync.core.secrets import new_key  # here: cryptography is a long import for --help

    click.echo(new_key())
    return EXIT_OK


@secrets.command()
@click.pass_obj
def rotate(state: CommandContext) -> int:
    """Re-encrypt every stored token with the newest key; encrypt those still in plain text.

    Tokens the newest key already opens are left as they are, so running it twice is harmless.
    If a token opens with none of the keys, nothing is changed.
    """
    from erpsync.core.secrets import KEYS_ENV
    from erpsync.core.store import Store

    settings = state.settings()
    with Store.open(settings.state_url) as store:
        done = store.tokens.rotate(now=datetime.now(UTC))
    click.echo(
        f"{done.total} shop(s) with tokens: {done.rotated} re-encrypted with the newest key, "
        f"{done.encrypted} encrypted from plain text, {done.current} already under the newest key"
    )
    if done.total and done.rotated + done.encrypted:
        click.echo(
            f"once every process runs with the newest key first, the keys after it in {KEYS_ENV} can be removed",
            err=True,
        )
    return EXIT_OK


@secrets.command()
@click.pass_obj
def status(state: CommandContext) -> int:
    """Say whether the stored tokens are encrypted and which key (by position) opens them.

    Exits 1 when some encrypted tokens open with none of the keys given (or no key is set).
    """
    from erpsync.core.secrets import KEYS_ENV
    from erpsync.core.store import Store

    settings = state.settings()
    with Store.open(settings.state_url) as store:
        found = store.tokens.encryption()
    keys = f"{found.keys} key(s) in {KEYS_ENV}" if found.keys else f"{KEYS_ENV} is not set"
    click.echo(f"tokens: {found.shops} shop(s); {keys}")
    if not found.encrypted:
        click.echo(f"encryption: off: {found.note() or 'no token stored yet'}")
        return EXIT_OK
    click.echo("encryption: on (a token was stored encrypted: a key is required from now on)")
    for number in sorted(found.by_key):
        which = "newest" if number == 1 else "older: run `erpsync secrets rotate`"
        click.echo(f"  key {number} ({which}) opens {found.by_key[number]} shop(s)")
    if found.plain:
        click.echo(f"  {found.plain} shop(s) still in plain text: run `erpsync secrets rotate`")
    if found.unreadable:
        click.echo(f"  {found.unreadable} shop(s) open with none of the keys: set the key they were written with")
        return EXIT_ERROR
    return EXIT_OK
