"""``{% account_title %}``: the page's title once more, as the heading of its content.

A personal-center page names itself once, in ``{% block account_title %}`` (the window
title, through portal/account/base.html); the account layout repeats that block as the
page's ``<h1>``, so the two cannot drift apart. A page whose heading says more (a name
after the title) overrides ``{% block account_heading %}``; one without a heading
empties it.
"""

from django import template
from django.template.loader_tags import BLOCK_CONTEXT_KEY

register = template.Library()


@register.simple_tag(takes_context=True)
def account_title(context):
    """Render the most derived ``account_title`` block again, in the current context."""
    block = context.render_context[BLOCK_CONTEXT_KEY].get_block("account_title")
    return block.nodelist.render(context)
