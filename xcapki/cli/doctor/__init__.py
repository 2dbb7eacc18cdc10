"""The doctor's checks: PC/SC, card, module, token, PIN, certificates, path, network, port."""
