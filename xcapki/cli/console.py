"""Where the CLI writes: results on stdout (text or one JSON document), progress on stderr."""

from __future__ import annotations

import codecs
import json
from typing import TextIO

from xcapki.cli.messages import Catalogue

__all__ = ["Console"]


class Console:
    """Text lines or a JSON document on stdout; progress and prompts on stderr.

    With ``json_mode`` nothing but the JSON document reaches stdout, so
    scripts can parse it; progress still goes to stderr unless ``quiet``.
    """

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        json_mode: bool,
        quiet: bool,
        stdout: TextIO,
        stderr: TextIO,
    ) -> None:
        self.catalogue = catalogue
        self.json_mode = json_mode
        self.quiet = quiet
        self.stdout = stdout
        self.stderr = stderr
        self.documented = False
        """Whether the JSON document was printed (there is only ever one)."""

    def text(self, key: str, **fields: object) -> str:
        """A catalogue message in the chosen language."""
        return self.catalogue.text(key, **fields)

    def line(self, text: str = "") -> None:
        """One line of human output (dropped in JSON mode)."""
        if not self.json_mode:
            print(text, file=self.stdout, flush=True)

    def say(self, key: str, **fields: object) -> None:
        """One catalogue message as a line of human output."""
        self.line(self.text(key, **fields))

    def field(self, key: str, value: object, *, indent: str = "  ") -> None:
        """One "name: value" line, the name a catalogue key (the colon is the language's)."""
        self.line(self.text("field.line", indent=indent, name=self.text(key), value=value))

    def progress(self, key: str, **fields: object) -> None:
        """A progress note on stderr."""
        if not self.quiet:
            print(self.text(key, **fields), file=self.stderr, flush=True)

    def error(self, text: str) -> None:
        """An error paragraph on stderr."""
        print(text, file=self.stderr, flush=True)

    def document(self, value: object) -> None:
        """The JSON result (only in JSON mode)."""
        if self.json_mode:
            self.documented = True
            self.stdout.write(_json_text(value, self.stdout) + "\n")
            self.stdout.flush()


def _json_text(value: object, stream: TextIO) -> str:
    """``value`` as JSON that reaches the reader as valid UTF-8: readable text on a UTF-8
    stream, else (a Big5 or ASCII locale, a file name that is no UTF-8) ``\\u`` escapes."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    try:
        utf8 = codecs.lookup(stream.encoding or "ascii").name == "utf-8"
        if utf8:
            text.encode("utf-8")
            return text
    except (LookupError, UnicodeEncodeError):
        pass
    return json.dumps(value, ensure_ascii=True, indent=2)
