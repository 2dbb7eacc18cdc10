"""Real test components for xcapki's tests and for integrators' CI.

- a test PKI in the Taiwan GPKI shape (``TestPki``), served on loopback by
  OCSP responders and a CRL server (``serve_pki``);
- virtual HiCOS cards on SoftHSM2 (``provision_softhsm_card``) and on
  opencryptoki for PIN lockout (``xcapki.testing.opencryptoki``);
- a time-stamping authority on ``openssl ts`` (``TimestampAuthority``, also
  ``PkiServices.timestamp_authority()``);
- a private pcscd with a vpcd card emulator (``xcapki.testing.pcscd``,
  ``xcapki.testing.virtual_reader``);
- private Redis topologies on loopback: one server, a Cluster and a
  Sentinel group (``LocalRedisServer``, ``LocalRedisCluster``,
  ``LocalRedisSentinel``).

See docs/testing.md.
"""

from __future__ import annotations

from xcapki.testing.errors import TestingError, ToolFailedError, ToolMissingError
from xcapki.testing.keys import KeyAlgorithm
from xcapki.testing.ocsp_responder import OcspResponder, ResponderBehaviour
from xcapki.testing.pki import (
    CaCredentials,
    CardSpec,
    IssuedCard,
    IssuedKey,
    TestPki,
    new_card_serial,
)
from xcapki.testing.redis_servers import (
    LocalRedisCluster,
    LocalRedisSentinel,
    LocalRedisServer,
    RedisTopologyError,
)
from xcapki.testing.revocation_index import RevocationReason
from xcapki.testing.services import PkiServices, serve_pki
from xcapki.testing.softhsm import (
    HICOS_CARD_LABEL,
    StandardCards,
    VirtualCard,
    find_softhsm2_module,
    provision_softhsm_card,
    provision_standard_cards,
    softhsm_config,
)
from xcapki.testing.tsa import TimestampAuthority

__all__ = [
    "HICOS_CARD_LABEL",
    "CaCredentials",
    "CardSpec",
    "IssuedCard",
    "IssuedKey",
    "KeyAlgorithm",
    "LocalRedisCluster",
    "LocalRedisSentinel",
    "LocalRedisServer",
    "OcspResponder",
    "PkiServices",
    "RedisTopologyError",
    "ResponderBehaviour",
    "RevocationReason",
    "StandardCards",
    "TestPki",
    "TestingError",
    "TimestampAuthority",
    "ToolFailedError",
    "ToolMissingError",
    "VirtualCard",
    "find_softhsm2_module",
    "new_card_serial",
    "provision_softhsm_card",
    "provision_standard_cards",
    "serve_pki",
    "softhsm_config",
]
