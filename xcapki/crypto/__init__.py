"""Crypto layer: CMS, the Taiwan certificate profile, trust, path validation."""
