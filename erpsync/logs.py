"""erpsync's log output: plain text for a terminal, or one JSON object a line for a log pipeline.

Every line logged inside a run carries its run id, shop and aspect (bound by the host through
``core/log_context.py``), whoever logged it: erpsync, a library or a plugin, all of which keep
plain ``logging.getLogger``. The JSON format is structlog's ``ProcessorFormatter`` over stdlib
``logging`` (structlog's "Standard Library Logging" page, "Rendering Using structlog-based
Formatters Within logging"), so records from any logger go through one chain;
``structlog.get_logger`` loggers join it too. structlog is imported only for the JSON format:
importing it loads its console renderer and rich, which ``erpsync --help`` must not pay for.

Secrets never reach a line: every value is masked with the configuration's secrets
(``log_context.hide``) and the ``access_token=...`` rule of ``core/redaction.py``, in both formats.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, Literal, TextIO

from erpsync.core import log_context
from erpsync.core.redaction import redact

if TYPE_CHECKING:
    from structlog.typing import EventDict, WrappedLogger

LogFormat = Literal["text", "json"]
FORMATS: tuple[LogFormat, ...] = ("text", "json")
#: the environment variable that sets the format when ``--log-format`` is not given
FORMAT_ENV = "ERPSYNC_LOG_FORMAT"


def _masked(text: str) -> str:
    return redact(text, log_context.hidden())


def _mask_values(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Mask secrets in every string value, before rendering (a secret with a quote in it would be
    escaped in the JSON text, where masking the rendered line could no longer find it)."""
    return {k: _masked(v) if isinstance(v, str) else v for k, v in event.items()}


def _run_fields(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """The run, shop and aspect bound on the thread that logged."""
    for key, value in log_context.current().items():
        event.setdefault(key, value)
    return event


def _shared() -> list[Any]:
    """What every JSON line gets, from a stdlib record or a structlog logger alike."""
    import structlog

    return [
        _run_fields,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]


def json_formatter() -> logging.Formatter:
    """One JSON object a line: event, run_id/shop/aspect when in a run, level, logger, timestamp,
    ``exception`` (the traceback as text) when there is one."""
    import structlog

    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _mask_values,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


class TextFormatter(logging.Formatter):
    """``LEVEL logger: message``, then ``[run_id=… shop=… aspect=…]`` inside a run."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = log_context.current()
        if fields:
            line += " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]"
        return _masked(line)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged (a test runner swaps it)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def formatter(fmt: LogFormat) -> logging.Formatter:
    """The formatter for ``fmt``: for a handler of one's own (a test, an embedding program)."""
    return json_formatter() if fmt == "json" else TextFormatter()


#: the JSON formatter of progress lines when ``setup_logging`` last set JSON, else None (plain
#: lines); built there once, not per line: a run prints a progress line per step
_progress_formatter: logging.Formatter | None = None


def progress_record(message: str) -> str | None:
    """``message`` as one JSON log line when logs are JSON, else None (print it as it is).

    A run's progress lines go to stderr beside its log lines; with ``--log-format json`` a plain
    line among them would break a pipeline that reads one JSON object a line. Written whatever
    the log level, as the plain progress lines are: they are the run's own output.
    """
    if _progress_formatter is None:
        return None
    record = logging.LogRecord("erpsync.progress", logging.INFO, __file__, 0, message, None, None)
    return _progress_formatter.format(record)


def setup_logging(verbose: int, fmt: LogFormat = "text") -> None:
    """erpsync's lines to stderr in ``fmt``; urllib3's only with -vv.

    erpsync logs each retry once (operation, attempt, wait); urllib3's connection pool would add
    its own warnings for the same event ("Retrying (Retry(total=...))", "Connection pool is
    full"), several lines per retry that say nothing erpsync's line does not.

    Like ``logging.basicConfig``, a root logger that already has handlers of someone else's (an
    embedding program, a test runner capturing logs) is left alone; erpsync's own handler is
    replaced, so calling this again switches the format.
    """
    global _progress_formatter
    _progress_formatter = json_formatter() if fmt == "json" else None
    level = logging.WARNING if verbose == 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, _Stderr)]
    if len(ours) == len(root.handlers):
        for handler in ours:
            root.removeHandler(handler)
        handler = _Stderr()
        handler.setFormatter(formatter(fmt))
        root.addHandler(handler)
        root.setLevel(level)
    logging.getLogger("urllib3").setLevel(logging.DEBUG if verbose >= 2 else logging.ERROR)
    if fmt == "json":  # a ``structlog.get_logger`` logger hands its event whole to the same chain
        import structlog

        structlog.configure(
            processors=[*_shared(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
        )
