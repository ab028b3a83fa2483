"""The project's URLs plus what only the benchmark needs.

- ``/bench-baseline/``: a plain ``django.contrib.admin`` site whose ``ModelAdmin`` classes
  show the same columns, filter and search as the console, with none of its
  optimisations (no ``list_select_related``, full counts, stock filters). It is the
  baseline the console changelists are compared with, measured in the same run.
- ``/bench/trivial/``: a view that returns two bytes, through the same middleware, as
  the ceiling for the checkout throughput.
- ``/bench/bare-checkout/``: the checkout's bare baseline (``bench.bare``): one checkout's
  rows and row locks in one transaction with precomputed values.
"""

from django.http import HttpResponse
from django.urls import path

from backoffice.urls import urlpatterns as project_urlpatterns

from .bare import bare_checkout
from .baseline import baseline_site


def trivial(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench-baseline/", baseline_site.urls),
    path("bench/trivial/", trivial, name="bench-trivial"),
    path("bench/bare-checkout/", bare_checkout, name="bench-bare-checkout"),
    *project_urlpatterns,
]
