"""The NinjaAPI instance: ``/api/v1/``, its key auth, problem handlers and routers."""

from ninja import NinjaAPI, Swagger

from . import assets, catalog, customers, errors, orders, statements
from .auth import ApiKeyAuth

api = NinjaAPI(
    title="云睐 AggreSmart Partner API",
    version="1.0.0",
    description=(
        "The partner API: the same services and tenancy as the portal. Authenticate with "
        "`Authorization: Bearer <key>` (个人中心 › API 密钥). Errors are RFC 9457 "
        "`application/problem+json` with a stable `code`; messages follow `Accept-Language`."
    ),
    auth=ApiKeyAuth(),
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("/catalog", catalog.router)
api.add_router("/orders", orders.router)
api.add_router("/customers", customers.router)
api.add_router("/statements", statements.router)
api.add_router("/assets", assets.router)
