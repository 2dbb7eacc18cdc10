"""The portal's HTML: package templates filled with escaped values.

``string.Template`` keeps the demo free of a template engine dependency;
every value is HTML-escaped here, so a certificate field can never inject
markup into a page.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from importlib import resources
from string import Template

__all__ = ["render_fragment", "render_page"]


@functools.cache
def _template(name: str) -> Template:
    text = resources.files("xcapki.demo").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text)


def render_fragment(
    name: str, /, *, fragments: Mapping[str, str] | None = None, **values: str
) -> str:
    """Template ``name`` with ``values`` HTML-escaped, ``fragments`` (rendered HTML) as is."""
    filled = {key: html.escape(value) for key, value in values.items()}
    return _template(name).substitute(filled, **(fragments or {}))


def render_page(title: str, body: str, *, account: str = "") -> str:
    """A whole page around ``body`` and ``account`` (fragments already rendered)."""
    return _template("page.html").substitute(title=html.escape(title), body=body, account=account)
