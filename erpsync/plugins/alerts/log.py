"""The ``log`` sink: one log line per opened, escalated or resolved drift, on logger ``erpsync.alerts``.

An opened or escalated drift's line ends with its guided fix, the steps numbered on the same line: a log
reader or ``grep`` finds the whole alert in one line, and concurrent runs never interleave it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from marshmallow import Schema, fields, validate

from erpsync.plugins import hookimpl
from erpsync.plugins.alerts.base import AlertEvent, AlertSink

logger = logging.getLogger("erpsync.alerts")


class LogOptions(Schema):
    level = fields.String(load_default="WARNING", validate=validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR"]))


class LogSink(AlertSink):
    type = "log"
    description = "one log line per opened/resolved drift (logger erpsync.alerts)"
    Options = LogOptions

    def send(self, event: AlertEvent) -> None:
        level = logging.INFO if event.event == "resolved" else getattr(logging, self.options["level"])
        logger.log(level, log_line(event))


def log_line(event: AlertEvent) -> str:
    """The headline, and for an opened or escalated drift the steps: ``... | what to do: 1. ... 2. ...``."""
    steps = event.step_texts() if event.event in ("opened", "escalated") else []
    if not steps:
        return event.headline
    label = "处理步骤：" if event.lang == "zh" else "what to do: "
    return f"{event.headline} | {label}" + " ".join(f"{n}. {step}" for n, step in enumerate(steps, start=1))


@hookimpl
def register_alert_sinks(register: Callable[[type[AlertSink]], None]) -> None:
    register(LogSink)
