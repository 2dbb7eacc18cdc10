"""The independent judges of a signed PDF: poppler's pdfsig, qpdf, pyHanko's own validator.

pyHanko is called here directly, with its own validation context built from
the test root, not through xcapki.pdf.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext


def run_pdfsig(pdfsig: str, nss_database: Path, path: Path, *, offline: bool = False) -> list[str]:
    """pdfsig's report on ``path`` (trusting the test root), one block per signature;
    ``offline`` forbids its online OCSP check (``-no-ocsp``)."""
    completed = subprocess.run(
        [pdfsig, "-nssdir", f"sql:{nss_database}", *(["-no-ocsp"] if offline else []), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return re.split(r"^Signature #\d+:$", completed.stdout, flags=re.MULTILINE)[1:]


def qpdf_check(qpdf: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, check=False)


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def pyhanko_statuses(path: Path, root: x509.Certificate, *, offline: bool) -> list[object]:
    """pyHanko's status for every signature; ``offline`` uses only the DSS's revocation data."""
    with path.open("rb") as handle:
        reader = PdfFileReader(handle)
        settings = {
            "trust_roots": [_asn1(root)],
            "allow_fetching": not offline,
            "revocation_mode": "hard-fail",
            "retroactive_revinfo": True,
        }
        results: list[object] = []
        for signature in reader.embedded_signatures:
            if offline:
                context = DocumentSecurityStore.read_dss(reader).as_validation_context(settings)
            else:
                context = ValidationContext(**settings)
            if signature.sig_object_type == "/DocTimeStamp":
                results.append(validate_pdf_timestamp(signature, validation_context=context))
            else:
                results.append(
                    validate_pdf_signature(
                        signature,
                        signer_validation_context=context,
                        key_usage_settings=KeyUsageConstraints(key_usage={"digital_signature"}),
                    )
                )
        return results


def dss_answers(path: Path) -> tuple[set[bytes], set[bytes]]:
    """The DER of every OCSP response and every CRL in the document's DSS, as stored."""
    with path.open("rb") as handle:
        dss = PdfFileReader(handle).root["/DSS"]
        return (
            {stream.get_object().data for stream in dss.get("/OCSPs", ())},
            {stream.get_object().data for stream in dss.get("/CRLs", ())},
        )


def dss_counts(path: Path) -> tuple[int, int, int]:
    """How many certificates, OCSP answers and CRLs the document's DSS holds."""
    with path.open("rb") as handle:
        dss = DocumentSecurityStore.read_dss(PdfFileReader(handle))
        return len(list(dss.load_certs())), len(dss.ocsps), len(dss.crls)


def append_revision(path: Path, objects: dict[int, bytes]) -> None:
    """Append an incremental update that replaces ``objects`` (number -> body), by hand."""
    data = path.read_bytes()
    previous = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    size = int(re.findall(rb"/Size (\d+)", data)[-1])
    root = re.findall(rb"/Root (\d+ \d+ R)", data)[-1]
    with path.open("ab") as out:
        offsets = {}
        for number, body in sorted(objects.items()):
            offsets[number] = out.tell()
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n")
        for number, offset in sorted(offsets.items()):
            out.write(b"%d 1\n%010d 00000 n \n" % (number, offset))
        out.write(
            b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, root, previous, xref)
        )
