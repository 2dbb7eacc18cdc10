"""Object identifiers of the Taiwan GPKI certificate profile.

Facts from the GPKI certificate profiles (see docs/crypto.md); the test PKI
and the certificate reader share them so the two can never drift apart.
"""

from __future__ import annotations

from typing import Final

SUBJECT_DIRECTORY_ATTRIBUTES: Final = "2.5.29.9"

SUBJECT_CLASS: Final = "2.16.886.1.100.2.1"
CARD_RANK: Final = "2.16.886.1.100.2.2"
MOICA_ID_DIGITS: Final = "2.16.886.1.100.2.51"
UNIFIED_BUSINESS_NUMBER: Final = "2.16.886.1.100.2.101"
ORGANISATION_OID: Final = "2.16.886.1.100.2.102"
CARD_SERIAL: Final = "2.16.886.1.100.2.204"

CMS_NONCE: Final = "1.2.840.113549.1.9.25.3"

GPKI_POLICY_ARC: Final = "2.16.886.101.0.3"
GPKI_CLASS_1: Final = "2.16.886.101.0.3.1"
GPKI_CLASS_2: Final = "2.16.886.101.0.3.2"
GPKI_CLASS_3: Final = "2.16.886.101.0.3.3"
GPKI_CLASS_4: Final = "2.16.886.101.0.3.4"

SUBJECT_CLASS_NATURAL_PERSON: Final = "2.16.886.1.100.3.1.1"
SUBJECT_CLASS_GOVERNMENT_AGENCY: Final = "2.16.886.1.100.3.2.1.1"
SUBJECT_CLASS_GOVERNMENT_UNIT: Final = "2.16.886.1.100.3.2.1.2"
SUBJECT_CLASS_COMPANY: Final = "2.16.886.1.100.3.2.2.1.1"
SUBJECT_CLASS_BRANCH_COMPANY: Final = "2.16.886.1.100.3.2.3.3.1"
SUBJECT_CLASS_SOLE_PROPRIETORSHIP: Final = "2.16.886.1.100.3.2.3.1"
SUBJECT_CLASS_SERVER: Final = "2.16.886.1.100.3.3.1"
