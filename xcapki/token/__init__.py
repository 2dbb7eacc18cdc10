"""PKCS#11 token layer: modules, tokens, sessions, PIN safety, keys, signing."""
