"""The ``xcapki`` command line."""
