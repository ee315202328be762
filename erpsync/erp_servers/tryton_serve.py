"""The child process that serves a Tryton database on loopback: ``python -m erpsync.erp_servers.tryton_serve``.

It runs apart from the caller because trytond keeps its configuration and pools in process-wide globals:
one process per server keeps two servers (or a test and its server) from sharing them.

Served as-is, trytond's WSGI app answers the first ``common.db.login`` with ``KeyError: 'res.user'``: the
pool of the database is only filled by ``Pool(db).init()``, which its own ``trytond`` command leaves to the
first request of a loaded database. Initialising the pool here, before the socket opens, makes the first
login work. The bound port is written to ``--port-file`` (renamed into place, so a reader never sees half
a number): binding port 0 in the child leaves no gap where another process could take a port chosen by
the parent.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def serve(config: Path, database: str, port: int, port_file: Path) -> None:
    """Initialise the pool of ``database``, then serve trytond's WSGI app on 127.0.0.1 until killed."""
    from trytond.config import update_etc  # type: ignore[import-untyped, import-not-found, unused-ignore]

    update_etc(str(config))
    # trytond reads its configuration when these modules are imported: import them after update_etc
    from trytond.pool import Pool  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from trytond.transaction import Transaction  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from trytond.wsgi import app  # type: ignore[import-untyped, import-not-found, unused-ignore]  # with its routes
    from werkzeug.serving import make_server

    Pool.start()
    with Transaction().start(database, 0, readonly=True):
        Pool(database).init()
    server = make_server("127.0.0.1", port, app, threaded=True)
    partial = port_file.with_suffix(".partial")
    partial.write_text(str(server.server_port), encoding="ascii")
    os.replace(partial, port_file)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args()
    serve(args.config, args.database, args.port, args.port_file)


if __name__ == "__main__":
    main()
