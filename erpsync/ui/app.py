"""The status page as a WSGI app (werkzeug routing, Jinja2 templates with autoescape on).

Served by waitress: by ``erpsync ui`` on its own, and by ``erpsync run`` beside ``/healthz`` and
``/metrics``. Every page is server-rendered HTML with inline CSS and no JavaScript. GETs never
change anything; each POST needs a login and the session's CSRF token (``auth.py``), and answers
with a redirect back to the page, so a reload does not repeat it. Responses forbid framing and
every outside resource (Content-Security-Policy), so an injected tag could load nothing even if
escaping ever failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from erpsync.core.config import Settings
from erpsync.core.store import Store
from erpsync.ui import views
from erpsync.ui.auth import COOKIE, Auth
from erpsync.ui.queries import Queries
from erpsync.ui.texts import LANGS, translator

LANG_COOKIE = "erpsync_lang"
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_ROUTES = Map(
    [
        Rule("/", endpoint="overview", methods=["GET"]),
        Rule("/shops/<path:name>", endpoint="shop", methods=["GET"]),
        Rule("/login", endpoint="login_form", methods=["GET"]),
        Rule("/login", endpoint="login", methods=["POST"]),
        Rule("/logout", endpoint="logout", methods=["POST"]),
        Rule("/drifts/<int(max=9223372036854775807):drift_id>/ack", endpoint="ack", methods=["POST"]),
        Rule("/actions/retry", endpoint="retry", methods=["POST"]),
        Rule("/actions/run", endpoint="run_now", methods=["POST"]),
        Rule("/actions/unlock", endpoint="unlock", methods=["POST"]),
    ]
)
_POSTS = ("ack", "retry", "run_now", "unlock")


def environment() -> Environment:
    """The templates, HTML-escaped everywhere (a warehouse name with markup shows as text)."""
    env = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["when"] = views.when
    env.globals["quote"] = _quote
    return env


class StatusApp:
    """The WSGI app. ``clock`` is injectable so tests control "now"."""

    def __init__(
        self,
        queries: Queries,
        *,
        token: str = "",
        lang: str = "en",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        auth: Auth | None = None,
    ) -> None:
        self.queries = queries
        self.auth = auth or Auth(token)
        self.lang = lang if lang in LANGS else "en"
        self.clock = clock
        self.env = environment()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        response.headers.update(_HEADERS)
        if request.args.get("lang") in LANGS:
            response.set_cookie(LANG_COOKIE, request.args["lang"], samesite="Strict", httponly=True)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = _ROUTES.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except NotFound:
            return self.page(request, "message.html", status=404, message_key="not_found")
        except HTTPException as exc:  # 405 for a GET to an action, and the like
            return Response(exc.description or "", status=exc.code or 400, content_type="text/plain; charset=utf-8")
        if endpoint in _POSTS and not self.auth.csrf_ok(self.sid(request), request.form.get("csrf")):
            return self.page(request, "message.html", status=403, message_key="forbidden")
        handler: Callable[..., Response] = getattr(self, f"do_{endpoint}")
        return handler(request, **values)

    # -- helpers -----------------------------------------------------------------------------------

    def sid(self, request: Request) -> str | None:
        return self.auth.session(request.cookies.get(COOKIE))

    def lang_of(self, request: Request) -> str:
        for lang in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
            if lang in LANGS:
                return str(lang)
        return self.lang

    def page(self, request: Request, template: str, *, status: int = 200, **context: Any) -> Response:
        lang = self.lang_of(request)
        sid = self.sid(request)
        html = self.env.get_template(template).render(
            t=translator(lang),
            lang=lang,
            logged_in=sid is not None,
            auth_enabled=self.auth.enabled,
            csrf=self.auth.csrf(sid) if sid else "",
            **context,
        )
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    def back_to(self, shop: str) -> Response:
        return redirect("/shops/" + _quote(shop), code=303)

    # -- pages -------------------------------------------------------------------------------------

    def do_overview(self, request: Request) -> Response:
        now = self.clock()
        facts = self.queries.facts()
        model = views.overview(
            facts.values(),
            now=now,
            q=request.args.get("q", ""),
            state=request.args.get("state", "all"),
            page=views.parse_page(request.args.get("page")),
            dead=self.queries.dead_leases(facts),
        )
        base = {k: v for k, v in (("q", model.q), ("state", model.state)) if v and v != "all"}
        return self.page(
            request,
            "overview.html",
            model=model,
            states=views.STATES,
            link=lambda **extra: "/?" + urlencode({**base, **extra}),
        )

    def do_shop(self, request: Request, name: str) -> Response:
        detail = self.queries.shop(name)
        if detail is None:
            return self.page(request, "message.html", status=404, message_key="not_found")
        lang = self.lang_of(request)
        line = views.shop_line(detail.facts, now=self.clock(), dead=self.queries.dead_leases({name: detail.facts}))
        return self.page(
            request,
            "shop.html",
            shop=name,
            line=line,
            lease=detail.facts.lease,
            drifts=views.drift_lines(detail.drifts, detail.ledger, lang),
            runs=detail.runs,
            unchecked=views.kept_unchecked(detail.runs, name),
            ledger=detail.ledger,
            outbox=detail.outbox,
        )

    def do_login_form(self, request: Request) -> Response:
        return self.page(request, "login.html")

    def do_login(self, request: Request) -> Response:
        if not self.auth.token_ok(request.form.get("token", "")):
            return self.page(request, "login.html", status=401, error=True)
        response = redirect("/", code=303)
        response.set_cookie(COOKIE, self.auth.new_session(), httponly=True, samesite="Strict")
        return response

    def do_logout(self, request: Request) -> Response:
        """Clear the cookie; with the session's CSRF token, also end the session, so a copy of the
        cookie stops working (without it, only the cookie goes: a forged form ends nothing)."""
        sid = self.sid(request)
        if sid is not None and self.auth.csrf_ok(sid, request.form.get("csrf")):
            self.auth.end(sid)
        response = redirect("/", code=303)
        response.delete_cookie(COOKIE, httponly=True, samesite="Strict")
        return response

    # -- actions (login and CSRF checked in dispatch) ----------------------------------------------

    def do_ack(self, request: Request, drift_id: int) -> Response:
        row = self.queries.ack(drift_id, now=self.clock())
        if row is None:
            return self.page(request, "message.html", status=404, message_key="not_found")
        return self.back_to(row.shop)

    def do_retry(self, request: Request) -> Response:
        entry = self.queries.retry(request.form.get("key", ""), now=self.clock())
        if entry is None:
            return self.page(request, "message.html", status=404, message_key="not_found")
        return self.back_to(entry.shop)

    def do_run_now(self, request: Request) -> Response:
        shop = request.form.get("shop", "")
        if self.queries.shop(shop) is None:
            return self.page(request, "message.html", status=404, message_key="not_found")
        self.queries.run_now(shop, now=self.clock())
        return self.back_to(shop)

    def do_unlock(self, request: Request) -> Response:
        shop = request.form.get("shop", "")
        released, note = self.queries.unlock(shop, now=self.clock())
        return self.page(request, "message.html", status=200 if released else 409, note=note, shop=shop)


def _quote(name: str) -> str:
    """A shop name as one path segment of a link."""
    return quote(name, safe="")


def status_app(store: Store, settings: Settings, registered: Sequence[str]) -> StatusApp:
    """The status page over ``store`` as ``settings`` configure it (``[service.ui]``).

    ``registered`` are the registered aspects: a shop runs its own ``aspects`` list, or all of
    these; "run now" asks for them, and the overview judges "nothing checked" by them (for every
    shop on each page: looked up by name, not by a walk through the shops).
    """
    by_name = {s.name: s for s in settings.shops}

    def aspects(shop: str) -> list[str]:
        found = by_name.get(shop)
        return list(found.aspects) if found is not None and found.aspects is not None else list(registered)

    queries = Queries(store, configured=[s.name for s in settings.shops], aspects=aspects)
    ui = settings.service.ui
    return StatusApp(queries, token=ui.token, lang=ui.lang or settings.lang)
