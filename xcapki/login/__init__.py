"""Portal login protocol: challenges, the client response, the server verifier."""
