"""Webhooks: partners' endpoints receive signed events (models: ``partners.webhook_models``).

* ``services``: ``webhook_event_record`` (the one call a domain makes where an event
  happens), endpoint management, delivery with backoff, the sweeper, resend
* ``selectors``: a company's endpoints and delivery log
* ``signing``: the signature (and the receiver's documented check)
* ``network``: the outgoing request: https, public addresses only, no redirects, timeout
"""
