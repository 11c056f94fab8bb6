"""A message's HTML body, made safe to show: what nh3 (ammonia) keeps of it under a strict list.

The body is hostile. What survives is text and plain structure: no script or style (content and
all), no event handler, no style attribute, no image or anything else that loads, and links only
to http, https and mailto (opened without a Referer). The page's Content-Security-Policy forbids
scripts and remote content besides, should anything slip through.
"""

from __future__ import annotations

import nh3

LOADS_OR_RUNS = {"img", "map", "area"}
TAGS = set(nh3.ALLOWED_TAGS) - LOADS_OR_RUNS
DROPPED_WITH_CONTENT = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math",
                        "title", "head", "textarea", "select", "button"}
ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def safe_html(body: str) -> str:
    return nh3.clean(body, tags=TAGS, clean_content_tags=DROPPED_WITH_CONTENT, attributes=ATTRIBUTES,
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow", strip_comments=True)
