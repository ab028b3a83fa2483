"""Checkout state: the lines being checked out, per checkout token, in the session
(the cart's 结算 and 立即购买 open a checkout; the checkout pages read and end it)."""

import secrets
import time

from django.http import HttpRequest

from billing.services.checkout import (
    LineInput,
)

SESSION_KEY = "portal_checkouts"
MAX_CHECKOUTS = 5


def checkout_start(
    request: HttpRequest, *, lines: list[LineInput], cart_line_ids: list[int], back_url: str
) -> str:
    """Keep the lines to check out (cart selection or the buy-now line) under a new token."""
    store = dict(request.session.get(SESSION_KEY) or {})
    token = secrets.token_urlsafe(16)
    store[token] = {
        "lines": [
            {
                "sku_id": line.sku_id,
                "quantity": int(line.quantity),
                "parameters": dict(line.parameters or {}),
            }
            for line in lines
        ],
        "cart_line_ids": list(cart_line_ids),
        "back": back_url,
        "at": time.time(),
    }
    newest = sorted(store.items(), key=lambda item: item[1].get("at", 0), reverse=True)
    request.session[SESSION_KEY] = dict(newest[:MAX_CHECKOUTS])
    return token


def checkout_state(request: HttpRequest, token) -> dict | None:
    if not isinstance(token, str) or not token:
        return None
    state = (request.session.get(SESSION_KEY) or {}).get(token[:64])
    return state if isinstance(state, dict) and state.get("lines") else None


def checkout_forget(request: HttpRequest, token: str) -> None:
    store = dict(request.session.get(SESSION_KEY) or {})
    if store.pop(token, None) is not None:
        request.session[SESSION_KEY] = store
