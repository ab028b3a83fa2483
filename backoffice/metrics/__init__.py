"""Monitoring front door: ``/metrics`` for Prometheus (README "Metrics").

Request and database metrics come from django-prometheus; the business gauges (work
queues, outbox, task queue, ledger check, statements) are read at scrape time by
``collectors.BusinessCollector`` through the domains' selectors. No business rules here.
"""
