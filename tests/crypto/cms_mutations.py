"""Tools to break valid CMS on purpose: a raw TLV tree and asn1crypto edits.

The TLV tree reaches encodings asn1crypto would normalise (indefinite
lengths, constructed strings, unsorted sets); the asn1crypto edits reach
fields by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from asn1crypto import cms


@dataclass
class Tlv:
    """One BER element: a tag byte and either raw content or children."""

    tag: int
    content: bytes = b""
    children: list[Tlv] = field(default_factory=list)
    indefinite: bool = False

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def encode(self) -> bytes:
        body = (
            b"".join(child.encode() for child in self.children)
            if self.constructed
            else self.content
        )
        if self.indefinite:
            return bytes((self.tag, 0x80)) + body + b"\x00\x00"
        return bytes((self.tag,)) + encode_length(len(body)) + body

    def at(self, *path: int) -> Tlv:
        node = self
        for index in path:
            node = node.children[index]
        return node


def encode_length(size: int) -> bytes:
    if size < 0x80:
        return bytes((size,))
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def parse_tlv(data: bytes) -> Tlv:
    """Parse DER with single-byte tags (all that CMS uses) into a tree."""
    node, end = _parse(data, 0)
    assert end == len(data)
    return node


def _parse(data: bytes, pos: int) -> tuple[Tlv, int]:
    tag = data[pos]
    first = data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    else:
        length = first
    content = data[pos : pos + length]
    node = Tlv(tag=tag)
    if node.constructed:
        inner = 0
        while inner < length:
            child, inner = _parse(content, inner)
            node.children.append(child)
    else:
        node.content = content
    return node, pos + length


# Paths into a SignedData ContentInfo, as produced by sign_cms.
SIGNED_DATA = (1, 0)
ENCAP = (*SIGNED_DATA, 2)
SIGNER_INFOS = (*SIGNED_DATA, -1)


def edit_tlv(der: bytes, change: Callable[[Tlv], None]) -> bytes:
    tree = parse_tlv(der)
    change(tree)
    return tree.encode()


def edit_signed_data(der: bytes, change: Callable[[cms.SignedData], None]) -> bytes:
    info = cms.ContentInfo.load(der)
    change(info["content"])
    return bytes(info.dump(force=True))


def signed_attribute(signed_data: cms.SignedData, name: str) -> cms.CMSAttribute:
    for attribute in signed_data["signer_infos"][0]["signed_attrs"]:
        if attribute["type"].native == name or attribute["type"].dotted == name:
            return attribute
    raise KeyError(name)
