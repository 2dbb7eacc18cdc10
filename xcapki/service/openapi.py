"""The OpenAPI 3.0 description of the service's JSON endpoints, served at /openapi.json."""

from __future__ import annotations

from typing import Any

from xcapki.hipki import HIPKI_SERVICE_URL

__all__ = ["openapi_document"]

_CODES = (
    "0 ok; 0x76000006 no card; 0x7600000F forbidden domain; 0x76000031 site not trusted;"
    " 0x76100006 login failed (last_error 0xA0 wrong PIN, 0xA2 PIN length, 0xA4 locked);"
    " 0x76500002 certificate expired; xcapki's own: 0x7A000001 bad request, 0x7A000002 too"
    " large, 0x7A000003 too many wrong PINs, 0x7A000004 not supported, 0x7A000005 card error"
)


def _answer(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "func": {"type": "string"},
        "ret_code": {"type": "integer", "minimum": 0, "description": _CODES},
        "last_error": {"type": "integer", "minimum": 0, "description": "the PKCS#11 CKR value"},
        "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+\.\d+$"},
        "message": {"type": "string", "description": "xcapki: why it was refused, and remedy"},
    }
    properties.update(extra or {})
    return {
        "type": "object",
        "required": ["func", "ret_code", "last_error", "version"],
        "properties": properties,
    }


_CERT = {
    "type": "object",
    "required": [
        "certb64", "label", "usage", "sn", "subjectDN", "issuerDN", "subjectCN", "subjectID",
    ],
    "properties": {
        "certb64": {"type": "string", "format": "byte"},
        "label": {"type": "string"},
        "usage": {"type": "string",
                  "enum": ["digitalSignature", "keyEncipherment|dataEncipherment"]},
        "sn": {"type": "string", "pattern": "^[0-9a-f]+$"},
        "subjectDN": {"type": "string"},
        "issuerDN": {"type": "string"},
        "subjectCN": {"type": "string"},
        "subjectID": {"type": "string"},
        "notBefore": {"type": "string"},
        "notAfter": {"type": "string"},
        "notBeforeT": {"type": "integer", "description": "seconds since the epoch"},
        "notAfterT": {"type": "integer", "description": "seconds since the epoch"},
    },
}  # fmt: skip

_SLOT = {
    "type": "object",
    "required": ["slotDescription", "token"],
    "properties": {
        "slotDescription": {"type": "string"},
        "token": {
            "type": "object",
            "nullable": True,
            "description": "null for a reader without a card",
            "required": ["serialNumber"],
            "properties": {
                "serialNumber": {"type": "string"},
                "label": {"type": "string"},
                "certs": {"type": "array", "items": _CERT},
            },
        },
    },
}

_PACKAGE = {
    "type": "object",
    "required": ["func"],
    "properties": {
        "func": {"type": "string", "enum": ["MakeSignature", "DecryptData"]},
        "signatureType": {"type": "string", "enum": ["PKCS7", "PKCS1", "RAW"],
                          "description": "RAW: tbs is a digest the page computed (base64)"},
        "tbs": {"type": "string", "pattern": "^[A-Za-z0-9._~%-]*$",
                "description": "URL-encoded by the page"},
        "tbsEncoding": {"type": "string", "enum": ["NONE", "base64"]},
        "hashAlgorithm": {"type": "string", "enum": ["SHA1", "SHA256", "SHA384", "SHA512"]},
        "withCardSN": {"type": "string", "enum": ["true", "false"]},
        "pin": {"type": "string", "pattern": "^[A-Za-z0-9]*$",
                "description": "URL-encoded by the page; ignored in local PIN mode"},
        "nonce": {"type": "string"},
        "slotDescription": {"oneOf": [{"type": "string"}, {"type": "integer", "minimum": 0}],
                            "description": "the reader, or its number, from pkcs11info"},
        "cipher": {"type": "string", "description": "DecryptData: base64 of the cipher"},
        "cipherType": {"type": "string", "enum": ["PKCS7", "PKCS1"]},
        "plainEncoding": {"type": "string", "enum": ["NONE", "base64"]},
    },
}  # fmt: skip

_PACKAGE_FORM = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["tbsPackage"],
                "properties": {
                    "tbsPackage": {
                        "type": "string",
                        "description": "JSON text of the package (x-package-schema); OpenAPI"
                        " 3.0 cannot type JSON inside a form field",
                        "x-package-schema": _PACKAGE,
                    },
                    "pageOrigin": {
                        "type": "string",
                        "description": "set by /popupForm only: the opener's origin",
                    },
                },
            },
        }
    },
}


def _responses(schema: dict[str, Any], *statuses: int) -> dict[str, Any]:
    reasons = {
        200: "a HiPKI answer (ret_code 0 or a refusal)",
        400: "malformed request (ret_code 0x7A000001)",
        403: "Host header is not a loopback name (ret_code 0x7600000F)",
        413: "request body too large (ret_code 0x7A000002)",
        429: "too many wrong PINs from this origin (ret_code 0x7A000003)",
    }
    return {
        str(status): {
            "description": reasons[status],
            "content": {"application/json": {"schema": schema if status == 200 else _answer()}},
        }
        for status in (200, 403, *statuses)
    }


def openapi_document(version: str) -> dict[str, Any]:
    """The document; ``version`` is the service's reported version."""
    sign_answer = _answer(
        {
            "signature": {"type": "string", "format": "byte"},
            "certb64": {"type": "string", "format": "byte"},
            "cardSN": {"type": "string"},
        }
    )
    info_answer = _answer({"slots": {"type": "array", "items": _SLOT}})
    withcert = {
        "name": "withcert",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["true", "false", "TRUE", "FALSE", "True", "False"]},
    }
    info = {"parameters": [withcert], "responses": _responses(info_answer, 400)}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "xcapki local signing service (HiPKI protocol)",
            "version": version,
            "description": "HiPKI-compatible JSON endpoints; see docs/service.md.",
        },
        "servers": [{"url": HIPKI_SERVICE_URL}],
        "paths": {
            "/pkcs11info": {
                "get": {"operationId": "pkcs11info", **info},
                "post": {"operationId": "pkcs11infoPost", **info},
                "options": {
                    "operationId": "pkcs11infoPreflight",
                    "description": "CORS preflight: answered for trusted origins only",
                    "responses": {
                        "204": {"description": "a trusted origin may read pkcs11info"},
                        "403": {"description": "the origin is not trusted",
                                "content": {"text/plain": {"schema": {"type": "string"}}}},
                    },
                },
            },
            "/sign": {
                "post": {
                    "operationId": "sign",
                    "requestBody": _PACKAGE_FORM,
                    "responses": _responses(sign_answer, 400, 413, 429),
                }
            },
            "/decrypt": {
                "post": {
                    "operationId": "decrypt",
                    "requestBody": _PACKAGE_FORM,
                    "responses": _responses(_answer({"plain": {"type": "string"}}), 400, 413, 429),
                }
            },
            "/addDomain": {
                "get": {
                    "operationId": "addDomain",
                    "description": "the popup asking the user to trust the site (HTML)",
                    "parameters": [
                        {"name": "domain", "in": "query", "required": True,
                         "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "the popup", "content": {"text/html": {
                            "schema": {"type": "string"}}}},
                        "400": _responses(_answer(), 400)["400"],
                        "403": _responses(_answer())["403"],
                    },
                },
                "post": {
                    "operationId": "addDomainAnswer",
                    "description": "the /addDomain popup's own answer (GET /addDomain is the"
                    " popup's HTML); only the service's origin may send it",
                    "requestBody": {"required": True, "content": {
                        "application/x-www-form-urlencoded": {"schema": {
                            "type": "object",
                            "required": ["ticket", "answer"],
                            "properties": {
                                "ticket": {"type": "string"},
                                "answer": {"type": "string",
                                           "enum": ["approve", "refuse", "prompt"]},
                            },
                        }},
                    }},
                    "responses": _responses(_answer({"domain": {"type": "string"}}), 400, 413),
                }
            },
        },
    }  # fmt: skip
