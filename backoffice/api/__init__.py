"""The partner API (``/api/v1/``): the third front door, beside the console and the portal.

It holds no business rules: every endpoint calls the same domain services and selectors
as the matching portal page, with the same tenancy (the key's company, and read-only its
sub-resellers where the portal shows them). django-ninja: pydantic schemas, OpenAPI 3
and Swagger UI served from its own static files.
"""
