"""PC/SC reader layer: readers, card presence and events, ATR, APDUs."""
