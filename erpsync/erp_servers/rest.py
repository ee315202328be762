"""A small REST ERP on loopback: warehouses, products, shipments and orders as JSON, for the rest connector.

It answers as many ERPs' REST APIs do, so ``config/rest-erp.toml`` maps a real server:

- ``GET /api/v1/<entity>`` → ``{"data": {"items": [...]}, "meta": {"total": n, "next_cursor": c}}``,
  paged by whichever parameters the request carries: ``page`` + ``per_page`` (from 1),
  ``offset`` + ``limit``, or ``limit`` (+ ``cursor``, the opaque ``next_cursor`` of the page
  before); without them, every item.
- ``PATCH /api/v1/<entity>/<id>``: merge the body into the item (objects merged key by key,
  anything else replaced); 404 for an unknown id. ``PUT`` does the same and creates a missing
  item (the rest connector's order statuses are written so).
- auth, as started: ``--token T`` (``Authorization: Bearer T``), ``--token T --header X-Api-Key``
  (the token alone in that header), or ``--hmac-secret S`` (``X-Timestamp`` and ``X-Signature``:
  hex HMAC-SHA256 of ``timestamp\\nMETHOD\\npath?query\\nsha256(body)``, within 300 s); else none.

Texts are served as UTF-8; a text holding ``surrogateescape`` characters is served as the raw
bytes they stand for, which is how a test makes the server send a GBK export.

``python -m erpsync.erp_servers.rest --port 8070 --data FILE`` serves ``FILE`` (a JSON object of
the four lists; the sample of ``rest_sample.py`` when it does not exist yet) and writes every
change back to it. It shares no code with ``erpsync.connectors``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .rest_sample import SAMPLE

__all__ = ["ENTITIES", "RestErpServer", "main"]

ENTITIES = ("warehouses", "products", "shipments", "orders")
PREFIX = "/api/v1/"


def _merge(target: dict[str, Any], change: dict[str, Any]) -> None:
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _json(body: Any, status: int = 200) -> Response:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8", errors="surrogateescape")
    return Response(data, status=status, content_type="application/json")


class RestErpApp:
    """The WSGI app: the data, the auth it demands, and a fault it can be told to answer with."""

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        token: str = "",
        header: str = "Authorization",
        hmac_secret: str = "",
        path: Path | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.token, self.header, self.hmac_secret, self.path = token, header, hmac_secret, path
        self.data: dict[str, list[dict[str, Any]]] = {e: [] for e in ENTITIES}
        self.load(data or {})
        self.fault: int | None = None
        self.requests: list[str] = []  # "GET /api/v1/warehouses?page=1", for tests of paging

    def load(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.data = {e: copy.deepcopy(list(data.get(e, []))) for e in ENTITIES}

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        with self.lock:
            return copy.deepcopy(self.data)

    def _save(self) -> None:
        if self.path is not None:
            temp = self.path.with_name(self.path.name + ".tmp")
            text = json.dumps(self.data, ensure_ascii=False, indent=2)
            temp.write_bytes(text.encode("utf-8", errors="surrogateescape"))
            os.replace(temp, self.path)

    def _authorised(self, request: Request) -> bool:
        if self.token:
            expected = f"Bearer {self.token}" if self.header == "Authorization" else self.token
            return hmac.compare_digest(request.headers.get(self.header, ""), expected)
        if self.hmac_secret:
            stamp = request.headers.get("X-Timestamp", "")
            if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
                return False
            target = request.environ.get("RAW_URI") or request.full_path.rstrip("?")
            digest = hashlib.sha256(request.get_data()).hexdigest()
            message = "\n".join((stamp, request.method, target, digest)).encode()
            signature = hmac.new(self.hmac_secret.encode(), message, hashlib.sha256).hexdigest()
            return hmac.compare_digest(request.headers.get("X-Signature", ""), signature)
        return True

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append(f"{request.method} {request.full_path.rstrip('?')}")
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        if self.fault is not None:
            return _json({"error": "fault staged by the test"}, self.fault)
        if not self._authorised(request):
            return _json({"error": "unauthorised"}, 401)
        parts = request.path.removeprefix(PREFIX).strip("/").split("/")
        if not request.path.startswith(PREFIX) or parts[0] not in ENTITIES or len(parts) > 2:
            return _json({"error": f"no {request.path}"}, 404)
        if len(parts) == 1:
            return self.list(parts[0], request) if request.method == "GET" else _json({"error": "method"}, 405)
        if request.method not in ("GET", "PATCH", "PUT"):
            return _json({"error": "method"}, 405)
        return self.item(parts[0], parts[1], request)

    def list(self, entity: str, request: Request) -> Response:
        with self.lock:
            items = copy.deepcopy(self.data[entity])
        args = request.args
        start, end, next_cursor = 0, len(items), None
        try:
            if "page" in args:
                size = int(args.get("per_page", 20))
                start = (int(args["page"]) - 1) * size
                end = start + size
            elif "offset" in args:
                start = int(args["offset"])
                end = start + int(args.get("limit", 20))
            elif "limit" in args or "cursor" in args:
                start = int(args["cursor"].removeprefix("c")) if args.get("cursor") else 0
                end = start + int(args.get("limit", 20))
                next_cursor = f"c{end}" if end < len(items) else None
        except ValueError:
            return _json({"error": "bad paging parameters"}, 400)
        if start < 0 or end < start:
            return _json({"error": "bad paging parameters"}, 400)
        meta = {"total": len(items), "next_cursor": next_cursor}
        return _json({"data": {"items": items[start:end]}, "meta": meta})

    def item(self, entity: str, item_id: str, request: Request) -> Response:
        with self.lock:
            found = next((i for i in self.data[entity] if str(i.get("id")) == item_id), None)
            if request.method == "GET":
                return _json({"data": found}) if found else _json({"error": f"no {entity} {item_id}"}, 404)
            try:
                change = json.loads(request.get_data() or b"{}")
            except ValueError:
                return _json({"error": "the body is not JSON"}, 400)
            if not isinstance(change, dict):
                return _json({"error": "the body must be an object"}, 400)
            if found is None:
                if request.method != "PUT":
                    return _json({"error": f"no {entity} {item_id}"}, 404)
                found = {"id": item_id}
                self.data[entity].append(found)
            _merge(found, {k: v for k, v in change.items() if k != "id"})
            self._save()
            return _json({"data": found})


class _Quiet(WSGIRequestHandler):
    """No line per request: the tests' output stays readable (``main`` keeps the default log)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class RestErpServer:
    """The app served on a thread: ``with RestErpServer(data) as erp: erp.url``."""

    def __init__(self, data: dict[str, Any] | None = None, *, host: str = "127.0.0.1", port: int = 0, **auth: Any):
        self.app = RestErpApp(data, **auth)
        self._server = make_server(host, port, self.app, threaded=True, request_handler=_Quiet)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    @contextmanager
    def failing(self, status: int) -> Iterator[None]:
        """Every request answers ``status`` inside the block (503: temporary, 400: permanent)."""
        self.app.fault = status
        try:
            yield
        finally:
            self.app.fault = None

    def start(self) -> RestErpServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="rest-erp", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> RestErpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m erpsync.erp_servers.rest", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8070)
    parser.add_argument("--data", type=Path, help="a JSON file of the four lists; changes are written back")
    parser.add_argument("--token", default=os.environ.get("REST_ERP_TOKEN", ""), help="or REST_ERP_TOKEN")
    parser.add_argument("--header", default="Authorization", help="the token's header (default: bearer)")
    parser.add_argument("--hmac-secret", default=os.environ.get("REST_ERP_HMAC_SECRET", ""))
    args = parser.parse_args(argv)
    if args.data and not args.data.exists():
        args.data.write_text(json.dumps(SAMPLE, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"# wrote the sample data to {args.data}", flush=True)
    data = json.loads(args.data.read_bytes()) if args.data else SAMPLE
    auth = {"token": args.token, "header": args.header, "hmac_secret": args.hmac_secret, "path": args.data}
    server = RestErpServer(data, host=args.host, port=args.port, **auth)
    print(f"# rest ERP on {server.url}{PREFIX}  ({', '.join(ENTITIES)})", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()


if __name__ == "__main__":
    main()
