"""Running the service under uvicorn on loopback."""

from __future__ import annotations

import uvicorn

from xcapki.service.app import create_app
from xcapki.service.config import ServiceConfig

__all__ = ["run_service"]


def run_service(config: ServiceConfig) -> None:
    """Serve until interrupted (blocking), on ``config.host``:``config.port``."""
    uvicorn.run(
        create_app(config),
        host=config.host,
        port=config.port,
        log_level="info",
        server_header=False,
        proxy_headers=False,
        access_log=False,
    )
