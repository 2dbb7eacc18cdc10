"""The bundled GPKI anchors: they load, their hashes are checked, issuers match by key id."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from handmade_certificates import ANCHOR_FOLDER, PUBLISHED_HASHES

from xcapki.crypto.authority import Authority
from xcapki.crypto.errors import TrustStoreError
from xcapki.crypto.trust import BUNDLED_ANCHORS, TrustRole, TrustStore


def _readme_hashes() -> dict[str, str]:
    """The SHA-256 column of the anchors' README, as the issuers publish them."""
    hashes = {}
    for line in PUBLISHED_HASHES.read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 4 and cells[1].endswith(".pem"):
            hashes[cells[1]] = cells[4]
    return hashes


def test_bundled_hashes_are_those_the_trust_readme_publishes() -> None:
    published = _readme_hashes()
    assert {a.file: a.sha256 for a in BUNDLED_ANCHORS} == published


def test_bundled_store_holds_three_roots_and_two_moica_intermediates() -> None:
    store = TrustStore.bundled()
    assert [r.label for r in store.roots] == ["GRCA G1", "GRCA G2", "GRCA G3"]
    assert [i.label for i in store.intermediates] == ["MOICA G2", "MOICA G3"]
    assert all(r.role is TrustRole.ROOT and r.bundled for r in store.roots)
    assert {i.authority for i in store.intermediates} == {Authority.MOICA}
    for entry in (*store.roots, *store.intermediates):
        der = entry.certificate.public_bytes(serialization.Encoding.DER)
        assert entry.sha256 == hashlib.sha256(der).digest()


def test_each_anchor_file_hashes_to_its_published_value() -> None:
    published = _readme_hashes()
    for name, sha256 in published.items():
        certificate = x509.load_pem_x509_certificate((ANCHOR_FOLDER / name).read_bytes())
        der = certificate.public_bytes(serialization.Encoding.DER)
        assert hashlib.sha256(der).hexdigest() == sha256, name


def test_moica_generations_share_a_name_but_not_a_key_identifier() -> None:
    g2, g3 = TrustStore.bundled().intermediates
    assert g2.certificate.subject == g3.certificate.subject
    assert g2.key_identifier != g3.key_identifier


def test_issuer_of_moica_is_found_by_key_identifier() -> None:
    store = TrustStore.bundled()
    g2, g3 = store.intermediates
    assert store.issuer_of(g2.certificate).label == "GRCA G2"  # type: ignore[union-attr]
    assert store.issuer_of(g3.certificate).label == "GRCA G3"  # type: ignore[union-attr]


def test_root_is_its_own_issuer_by_key_identifier() -> None:
    store = TrustStore.bundled()
    g3 = store.roots[2]
    assert store.by_key_identifier(g3.key_identifier) == (g3,)


def test_altered_anchor_is_refused(tmp_path: Path) -> None:
    for anchor in BUNDLED_ANCHORS:
        shutil.copy(ANCHOR_FOLDER / anchor.file, tmp_path / anchor.file)
    assert len(TrustStore.bundled(directory=tmp_path).roots) == 3
    # Swap two anchors: each file is still a valid certificate, but not the published one.
    g1, g2 = (tmp_path / "GRCA-G1.pem"), (tmp_path / "GRCA-G2.pem")
    g1_bytes = g1.read_bytes()
    g1.write_bytes(g2.read_bytes())
    g2.write_bytes(g1_bytes)
    with pytest.raises(TrustStoreError, match=r"GRCA-G1\.pem has SHA-256 .* altered"):
        TrustStore.bundled(directory=tmp_path)


def test_missing_anchor_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError, match="missing"):
        TrustStore.bundled(directory=tmp_path)


def test_unreadable_anchor_is_refused(tmp_path: Path) -> None:
    for anchor in BUNDLED_ANCHORS:
        (tmp_path / anchor.file).write_bytes(b"-----BEGIN CERTIFICATE-----\nnope\n")
    with pytest.raises(TrustStoreError, match="unreadable"):
        TrustStore.bundled(directory=tmp_path)


def test_with_roots_and_intermediates_return_new_stores() -> None:
    base = TrustStore.empty()
    g3 = TrustStore.bundled().roots[2].certificate
    moica = TrustStore.bundled().intermediates[1].certificate
    derived = base.with_roots(g3).with_intermediates(moica.public_bytes(serialization.Encoding.PEM))
    assert base.roots == ()
    assert [r.certificate for r in derived.roots] == [g3]
    assert derived.issuer_of(moica) is not None
    assert derived.with_roots(g3).roots == derived.roots  # no duplicates


def test_from_pem_files(tmp_path: Path) -> None:
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(
        (ANCHOR_FOLDER / "GRCA-G2.pem").read_bytes() + (ANCHOR_FOLDER / "GRCA-G3.pem").read_bytes()
    )
    store = TrustStore.from_pem_files(
        roots=[bundle], intermediates=[ANCHOR_FOLDER / "MOICA-G3.pem"]
    )
    assert len(store.roots) == 2
    assert store.intermediates[0].authority is Authority.MOICA
    with_bundled = TrustStore.from_pem_files(roots=[bundle], include_bundled=True)
    assert len(with_bundled.roots) == 3


@pytest.mark.parametrize("content", [b"", b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n"])
def test_garbage_files_raise_trust_store_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    with pytest.raises(TrustStoreError):
        TrustStore.from_pem_files(roots=[path])


def test_missing_file_raises_trust_store_error(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError, match="cannot read"):
        TrustStore.from_pem_files(roots=[tmp_path / "absent.pem"])


def test_garbage_bytes_in_with_roots_raise_trust_store_error() -> None:
    with pytest.raises(TrustStoreError):
        TrustStore.empty().with_roots(b"\x30\x03\x02\x01\x00")


def test_store_is_immutable() -> None:
    store = TrustStore.bundled()
    with pytest.raises(AttributeError):
        store.roots = ()  # type: ignore[misc]
