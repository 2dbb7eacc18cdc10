"""Running the service under uvicorn on loopback."""

from __future__ import annotations

import copy

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from xcapki.service.app import create_app
from xcapki.service.config import ServiceConfig

__all__ = ["run_service"]


def _log_config() -> dict[str, object]:
    """uvicorn's logging, plus the service's own log (sites asking trust, the user's answers)."""
    settings = copy.deepcopy(LOGGING_CONFIG)
    settings["loggers"]["xcapki.service"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return settings


def run_service(config: ServiceConfig) -> None:
    """Serve until interrupted (blocking), on ``config.host``:``config.port``; every request
    is logged (the access log names path and query, never a body, so never a PIN)."""
    uvicorn.run(
        create_app(config),
        host=config.host,
        port=config.port,
        log_level="info",
        server_header=False,
        proxy_headers=False,
        access_log=True,
        log_config=_log_config(),
    )
