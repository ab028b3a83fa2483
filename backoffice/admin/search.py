"""Console search that stays on indexes however large the tables grow.

Django's stock admin search turns ``search_fields`` into one ``icontains`` OR over the
JOINed tables (``company__name`` joins the companies into the order list). On a
million orders that OR cannot use any index, so PostgreSQL scans and joins every row,
and a reverse relation (``users__email``) also forces ``DISTINCT`` on the whole list.

``IndexedSearchMixin`` keeps the stock semantics (every word must match one of the
fields, case-insensitively) but builds each condition so an index can serve it:

- A field on a related model becomes ``fk IN (<ids of the matching related rows>)``.
  The matching ids are read first, in their own small query, and passed as a literal
  list while there are at most ``MATERIALISE_UP_TO`` of them, so the main query's OR is
  a set of index lookups (PostgreSQL combines them with a bitmap OR) rather than a
  sub-plan evaluated row by row. Beyond that, the id query is kept as a sub-query.
  No JOIN reaches the main query, so rows are never repeated and no ``DISTINCT`` is
  needed.
- ``"^field"`` (Django's "starts with" prefix) is used for codes: order, transaction
  and statement numbers. Codes are generated in upper case, so the term is matched as
  typed and upper-cased with a case-sensitive ``LIKE 'term%'``, which the B-tree
  ``varchar_pattern_ops`` index Django creates for unique and indexed ``CharField`` on
  PostgreSQL serves (Django's own ``istartswith`` compares ``UPPER(col)`` and cannot).
- Any other field is matched with ``icontains`` as in Django. On PostgreSQL the large
  name-like columns have a trigram GIN index on ``UPPER(col::text)``, the very
  expression ``icontains`` compiles to (see the ``*_search_trgm`` migrations).

``"=field"`` keeps Django's ``iexact``. A search field this module does not understand
(an explicit lookup such as ``"name__exact"``, or ``"@field"`` full-text search) makes
the whole search fall back to Django's implementation, so nothing is ever silently
dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal

# Related matches read as literal ids up to this many; more stay a sub-query.
MATERIALISE_UP_TO = 1000

_OWN_PREFIXES = {"^": "prefix", "=": "iexact"}


@dataclass(frozen=True)
class SearchField:
    """One entry of ``search_fields``, resolved against the model."""

    spec: str
    # The relation path from the model to the searched column, e.g. ("wallet", "company").
    relations: tuple[models.Field, ...]
    column: models.Field
    mode: str  # "icontains", "prefix" or "iexact"


def resolve_search_field(model: type[models.Model], spec: str) -> SearchField | None:
    """Resolve ``spec`` or return None when it is not a plain (optionally prefixed) path."""
    mode = "icontains"
    path = spec
    if spec[:1] in _OWN_PREFIXES:
        mode = _OWN_PREFIXES[spec[:1]]
        path = spec[1:]
    elif spec[:1] == "@":
        return None
    opts = model._meta
    relations: list[models.Field] = []
    parts = path.split("__")
    for index, part in enumerate(parts):
        try:
            field = opts.get_field(opts.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            return None  # an explicit lookup (or a typo): Django's search handles it
        if index == len(parts) - 1:
            if field.is_relation:
                return None  # searching a relation itself: leave it to Django
            return SearchField(spec, tuple(relations), field, mode)
        if not field.is_relation or field.related_model is None:
            return None
        relations.append(field)
        opts = field.related_model._meta
    return None


def _column_q(field: SearchField, term: str) -> Q:
    name = field.column.name
    if field.mode == "prefix":
        query = Q(**{f"{name}__startswith": term})
        if term.upper() != term:
            query |= Q(**{f"{name}__startswith": term.upper()})
        return query
    return Q(**{f"{name}__{field.mode}": term})


def _relation_q(relation: models.Field, related_rows: QuerySet, *, materialise: bool) -> Q:
    """Rows of the relation's owner linked to ``related_rows``, as an ``IN`` on one column."""
    if relation.many_to_one or (relation.one_to_one and relation.concrete):
        # Forward FK: fk_id IN (target values of the matching rows).
        local, remote = relation.attname, relation.target_field.attname
    elif relation.one_to_many or relation.one_to_one:
        # Reverse FK: pk (or to_field) IN (fk values of the matching rows).
        remote_fk = relation.field
        local, remote = remote_fk.target_field.attname, remote_fk.attname
    else:
        # Many-to-many: a semi-join on the owner itself (its pk), never a JOIN.
        owner = relation.model
        rows = owner._base_manager.filter(**{f"{relation.name}__in": related_rows})
        return Q(pk__in=rows.values("pk"))
    values = related_rows.values_list(remote, flat=True)
    if materialise:
        ids = set(values.order_by()[: MATERIALISE_UP_TO + 1])
        ids.discard(None)
        if len(ids) <= MATERIALISE_UP_TO:
            return Q(**{f"{local}__in": sorted(ids)})
    return Q(**{f"{local}__in": values.order_by()})


def _field_q(field: SearchField, term: str) -> Q:
    """The condition on the searched model for one field and one word."""
    condition = _column_q(field, term)
    # Build from the column outwards: each hop becomes "fk IN (rows of the next model)".
    for depth in range(len(field.relations) - 1, -1, -1):
        relation = field.relations[depth]
        rows = relation.related_model._base_manager.filter(condition)
        condition = _relation_q(relation, rows, materialise=depth == 0)
    return condition


def search_words(search_term: str) -> list[str]:
    """Split the term like Django's admin: words, or quoted phrases."""
    words = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            words.append(bit)
    return words


def indexed_search_q(model: type[models.Model], search_fields, search_term: str) -> Q | None:
    """The filter for ``search_term`` over ``search_fields``, or None to use Django's.

    Every word must match at least one field (AND of ORs), as in Django's admin.
    """
    fields = [resolve_search_field(model, str(spec)) for spec in search_fields]
    if not fields or any(field is None for field in fields):
        return None
    query = Q()
    for word in search_words(search_term):
        word_q = Q()
        for field in fields:
            word_q |= _field_q(field, word)
        query &= word_q
    return query


class IndexedSearchMixin:
    """``get_search_results`` built by ``indexed_search_q`` (see the module docstring)."""

    def get_search_results(self, request, queryset: QuerySet, search_term: str):
        search_fields = self.get_search_fields(request)
        if not (search_fields and search_term):
            return queryset, False
        query = indexed_search_q(queryset.model, search_fields, search_term)
        if query is None:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(query), False
