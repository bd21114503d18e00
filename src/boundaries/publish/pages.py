"""HTML through Jinja2 templates (``boundaries/publish/templates/``), every value escaped unless marked safe.

The maps (:mod:`boundaries.publish.maps`), the region reports (:mod:`boundaries.publish.report`) and the batch index
(:mod:`boundaries.app.batch`) lay out their HTML in templates rendered with autoescape on: any text from the input
(a practice, consortium, authority or region name, a note) is escaped wherever a template puts it, so no name is
ever read as markup. Only what the package itself makes (charts' SVG, stylesheets, scripts, JSON through
``tojson``) is passed in as :class:`markupsafe.Markup`.

The templates are written on many lines for reading and render compact, as the pages always were: a line break
and the indentation around it vanish next to a tag or a block (``>``, ``%}`` or ``#}`` before it; ``<``, ``{%``
or ``{#`` after it) and become one space inside running text. The same input gives the same bytes.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.ext import Extension
from markupsafe import Markup, escape

__all__ = ["Markup", "escape", "macros", "render"]

_AT_TAG = re.compile(r"(?:(?<=[%#]\})|(?<=>))[ \t]*\n\s*|[ \t]*\n\s*(?=<|\{[%#])")
_IN_TEXT = re.compile(r"[ \t]*\n\s*")


class _Compact(Extension):
    """Joins the template's lines before Jinja reads them (see the module's docstring)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _IN_TEXT.sub(" ", _AT_TAG.sub("", source))


ENV = Environment(
    loader=PackageLoader("boundaries.publish", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    extensions=[_Compact],
)
# tojson as compact as the pages' other JSON: no spaces, keys sorted (``<``, ``>``, ``&``, ``'`` escaped)
ENV.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}


def render(name: str, **context: Any) -> str:
    """The template ``name`` (in ``boundaries/publish/templates/``) rendered with ``context``."""
    return ENV.get_template(name).render(**context)


@functools.cache
def macros(name: str) -> Any:
    """The macros of the template ``name``, to call from Python: each returns escaped HTML (``Markup``)."""
    return ENV.get_template(name).module
