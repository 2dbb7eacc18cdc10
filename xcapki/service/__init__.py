"""The HiPKI-compatible local signing service."""
