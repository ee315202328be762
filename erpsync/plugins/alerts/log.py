"""The ``log`` sink: one log line per opened or resolved drift, on logger ``erpsync.alerts``."""

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
        logger.log(level, event.headline)


@hookimpl
def register_alert_sinks(register: Callable[[type[AlertSink]], None]) -> None:
    register(LogSink)
