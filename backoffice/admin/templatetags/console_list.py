"""The console's changelist rows, rendered in one Python pass (see ``admin/results.py``)."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from ..results import one_pass_supported, result_list

register = template.Library()

register.filter("one_pass_supported", one_pass_supported)


@register.tag(name="console_result_list")
def console_result_list(parser, token) -> InclusionAdminNode:
    return InclusionAdminNode(
        "console_result_list",
        parser,
        token,
        func=result_list,
        template_name="backoffice/change_list_results.html",
    )
