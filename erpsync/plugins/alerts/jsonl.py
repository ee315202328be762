"""The ``jsonl`` sink: appends one JSON object per event to a file, for scripts and log shippers.

Each object is the whole event (``AlertEvent.as_dict``): ``message`` in the configured language,
and ``summary``, ``why`` and the guided-fix ``steps`` in both (``{"en": ..., "zh": ...}``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from marshmallow import Schema, fields

from erpsync.plugins import hookimpl
from erpsync.plugins.alerts.base import AlertEvent, AlertSink


class JsonlOptions(Schema):
    path = fields.String(required=True, metadata={"description": "file to append to; relative to the config"})


class JsonlSink(AlertSink):
    type = "jsonl"
    description = "appends one JSON line per opened/resolved drift to a file"
    Options = JsonlOptions

    def send(self, event: AlertEvent) -> None:
        path = self.base_dir / self.options["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(event.as_dict(), ensure_ascii=False, sort_keys=True) + "\n"
        # One write() of one line on an O_APPEND file: concurrent runs never interleave lines.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)


@hookimpl
def register_alert_sinks(register: Callable[[type[AlertSink]], None]) -> None:
    register(JsonlSink)
