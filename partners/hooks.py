"""What Partners announces to the domains above it (the one sanctioned inversion).

Partners imports no other domain. A domain that must act when a company is created
(billing opens its balance rows) registers a hook from its ``AppConfig.ready``; Partners
calls every hook inside the transaction that creates the company, so a hook's failure
rolls the company back. The list is explicit and ordered (registration order), unlike a
signal: ``company_created_hooks`` shows who listens.
"""

from collections.abc import Callable

CompanyCreatedHook = Callable[..., None]

#: Called as ``hook(company=company)`` inside the creating transaction.
company_created_hooks: list[CompanyCreatedHook] = []


def on_company_created(hook: CompanyCreatedHook) -> CompanyCreatedHook:
    """Register ``hook`` (once: registering it again changes nothing)."""
    if hook not in company_created_hooks:
        company_created_hooks.append(hook)
    return hook


def company_created(*, company) -> None:
    """Announce a new company to every registered hook (inside the caller's transaction)."""
    for hook in company_created_hooks:
        hook(company=company)
