"""The portal's list tables, written once: ``{% datatable %}``.

Every list table of the portal has the same frame: a ``.table-scroll`` wrapper (portal.js
adds the scroll hint and the sticky first column at narrow widths, portal.css), a header
row of ``<th scope="col">`` cells, one row per item and, when there is none, an empty row
across all columns. The frame is ``portal/_data_table.html``; a page writes only what is
its own (header cells that are plain labels through ``{% columns %}``, below)::

    {% datatable "users" rows=page colspan=9 %}
      {% columns _("E-mail") _("Mobile") … %}
    {% rows %}
      <tr data-row="{{ row.pk }}"><td>{{ row.email }}</td>…</tr>
    {% empty %}
      {% translate "No users yet." %}
    {% enddatatable %}

The first argument is the table's ``data-table`` name (a table without one omits it);
``rows`` the items (each bound to ``row`` while its row renders); ``colspan`` the width of
the empty row (a table that is never empty, shown only when it has rows, omits it and has
none); ``class`` adds classes to the table. Without ``{% empty %}`` the empty row says
“No data.”.

Header cells that are plain labels are written by ``{% columns %}``, one ``<th scope="col">``
per label (``class`` gives them all a class)::

    {% columns _("Time") _("Operator") _("Reason") %}
    {% columns _("Price") _("Quantity") class="num" %}

A label with a context or a "%" stays a ``<th>`` of its own: ``_()`` takes no context, and
a literal ``_("…%…")`` is looked up as "%%".
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

FRAME = "portal/_data_table.html"


class DataTableNode(template.Node):
    def __init__(self, name, options, columns, row, empty):
        self.name = name
        self.options = options
        self.columns = columns
        self.row = row
        self.empty = empty

    def option(self, key, context, default=None):
        value = self.options.get(key)
        return value.resolve(context) if value is not None else default

    def render(self, context):
        rendered_rows = []
        with context.push():
            for item in self.option("rows", context) or ():
                context["row"] = item
                rendered_rows.append(mark_safe(self.row.render(context)))
        empty = self.empty.render(context).strip() if self.empty is not None else None
        table = {
            "name": self.name.resolve(context) if self.name is not None else "",
            "class": self.option("class", context, ""),
            "colspan": self.option("colspan", context),
            "columns": mark_safe(self.columns.render(context)),
            "rows": rendered_rows,
            "empty": mark_safe(empty) if empty is not None else None,
        }
        frame = context.template.engine.get_template(FRAME)
        with context.push(table=table):
            return frame.render(context)


@register.simple_tag
def columns(*labels: str, **attrs: str) -> SafeString:
    """``{% columns label… [class=…] %}``: a ``<th scope="col">`` header cell per label."""
    unknown = set(attrs) - {"class"}
    if unknown:
        raise template.TemplateSyntaxError(f"'columns' does not take {sorted(unknown)}.")
    klass = format_html(' class="{}"', attrs["class"]) if attrs else ""
    return format_html_join("\n", '<th scope="col"{}>{}</th>', ((klass, label) for label in labels))


@register.tag
def datatable(parser, token):
    """``{% datatable [name] rows=… [colspan=…] [class=…] %}`` header cells ``{% rows %}``
    one row ``[{% empty %} message]`` ``{% enddatatable %}``."""
    bits = token.split_contents()[1:]
    name = None
    if bits and "=" not in bits[0]:
        name = parser.compile_filter(bits.pop(0))
    options = {}
    for bit in bits:
        key, sep, value = bit.partition("=")
        if not sep or key not in ("rows", "colspan", "class"):
            raise template.TemplateSyntaxError(f"'datatable' does not take {bit!r}.")
        options[key] = parser.compile_filter(value)
    if "rows" not in options:
        raise template.TemplateSyntaxError("'datatable' needs rows=.")
    columns = parser.parse(("rows",))
    parser.delete_first_token()
    row = parser.parse(("empty", "enddatatable"))
    empty = None
    if parser.next_token().contents == "empty":
        empty = parser.parse(("enddatatable",))
        parser.delete_first_token()
    return DataTableNode(name, options, columns, row, empty)
