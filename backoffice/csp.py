"""Content-Security-Policy: Django's own middleware, with one policy per front door.

Django 6.1 ships django-csp upstreamed (``django.middleware.csp``): the policy comes from
``SECURE_CSP``, ``CSP.NONCE`` becomes a per-request nonce that templates print with
``{% csp_nonce_attr %}``, and a response that already carries a policy (private file
previews) keeps its own. On top of that:

- the staff console (``/admin/``) gets ``SECURE_CSP_CONSOLE`` (django-unfold's Alpine.js
  evaluates its ``x-data`` expressions with ``new Function``, see base.py);
- ``frame-ancestors`` follows the X-Frame-Options header that Django's clickjacking
  middleware (or a view) set: ``DENY`` -> ``'none'``, ``SAMEORIGIN`` -> ``'self'``, none
  (``@xframe_options_exempt``) -> no restriction. One source of truth for framing.
"""

from django.conf import settings
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.functional import cached_property

FRAME_ANCESTORS = {"DENY": [CSP.NONE], "SAMEORIGIN": [CSP.SELF]}


class FrontDoorCSPMiddleware(ContentSecurityPolicyMiddleware):
    """Place it above ``XFrameOptionsMiddleware`` so that header is set when this runs."""

    @cached_property
    def console_prefix(self) -> str:
        return reverse("admin:index")

    def policy_for(self, request, response) -> dict:
        if request.path_info.startswith(self.console_prefix):
            policy = dict(settings.SECURE_CSP_CONSOLE)
        else:
            policy = dict(settings.SECURE_CSP)
        frame_options = response.headers.get("X-Frame-Options", "").upper()
        policy["frame-ancestors"] = FRAME_ANCESTORS.get(frame_options)
        return policy

    def process_response(self, request, response):
        if not hasattr(response, "_csp_config"):  # a view's @csp_override wins
            response._csp_config = self.policy_for(request, response)
        return super().process_response(request, response)
