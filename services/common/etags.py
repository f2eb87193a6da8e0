"""Entity tags and ``If-Match`` (RFC 9110, sections 8.8.3 and 13.1.1)."""

from __future__ import annotations

import re

# An entity-tag: an optional weakness mark, then an opaque tag in double quotes.
_ENTITY_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


def if_match_allows(header: str, current: str) -> bool:
    """Whether ``If-Match: header`` lets a change to a resource whose entity tag is ``current`` go ahead.

    ``*`` matches any current resource; otherwise the header is a list of entity tags and matches when any of
    them is strongly equal to ``current`` (a weak tag never matches, as RFC 9110 requires for If-Match). A
    header that is not such a list matches nothing.
    """
    value = header.strip()
    if value == "*":
        return True
    position = 0
    while position < len(value):
        found = _ENTITY_TAG.match(value, position)
        if found is None:
            return False
        if found.group(1) is None and found.group(2) == current:
            return True
        position = found.end()
    return False
