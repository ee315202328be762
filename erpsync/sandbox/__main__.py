"""``python -m erpsync.sandbox [--host H] [--port P] [--scenario demo|default|FILE]``."""

from __future__ import annotations

import argparse

from erpsync.sandbox.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m erpsync.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--scenario", default="default", help="built-in name (default, demo) or a JSON file")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.scenario)


if __name__ == "__main__":
    main()
