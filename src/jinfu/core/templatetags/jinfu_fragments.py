"""``{% fragment "name" version %}…{% endfragment %}``: a page part rendered once per data version.

The view computes ``version`` with :func:`jinfu.core.dataversion.version` over the data the part shows and
everything about the viewer it depends on (role, jurisdiction, organization, filters); the rendered HTML is
kept in the cache under the name, the version and the language, so a view whose data did not change renders
nothing of that part and reads none of its data (pass the data lazily: ``SimpleLazyObject``). A false
``version`` renders the part without caching it: the view passes None for requests whose variants are not
bounded (free-text search, arbitrary numbers), so that nobody can fill the cache with them.

Only for parts without anything per request or per session inside: no form with a CSRF token, no script
with the CSP nonce, no messages.
"""

from __future__ import annotations

from django import template
from django.core.cache import cache
from django.utils.translation import get_language

from jinfu.core import dataversion

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, name: str, version):
        self.nodelist, self.name, self.version = nodelist, name, version

    def render(self, context):
        version = self.version.resolve(context)
        if not version:
            return self.nodelist.render(context)
        key = f"jinfu:fragment:{self.name}:{version}:{get_language()}"
        html = cache.get(key)
        if html is not None:
            dataversion.CACHE_REQUESTS.labels(f"fragment.{self.name}", "hit").inc()
            return html
        dataversion.CACHE_REQUESTS.labels(f"fragment.{self.name}", "miss").inc()
        html = self.nodelist.render(context)
        cache.set(key, html, dataversion.TIMEOUT)
        return html


@register.tag("fragment")
def do_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 3 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError('usage: {% fragment "name" version %}…{% endfragment %}')
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, bits[1][1:-1], parser.compile_filter(bits[2]))
