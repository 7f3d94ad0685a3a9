"""Gunicorn's access and error logs through the portal's redaction, one JSON object per line.

Gunicorn writes its own log lines (``"POST /postback/<uuid>/<secret>/ ..."``) before Django sees
the request, so Django's LOGGING cannot reach them: this logger class, named in gunicorn.conf.py,
masks URL secrets, tokens and personal codes there too.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from portal.logging import JsonFormatter, RedactingFilter


class RedactingJsonLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type information
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            if not any(isinstance(f, RedactingFilter) for f in log.filters):
                log.addFilter(RedactingFilter())
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
