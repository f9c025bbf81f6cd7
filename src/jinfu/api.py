"""The public REST API: /api/v1/ with OpenAPI at /api/v1/openapi.json and docs at /api/v1/docs."""

from ninja import NinjaAPI

from jinfu.core.api import router as core_router
from jinfu.core.api_attachments import router as attachments_router
from jinfu.core.api_codes import router as codes_router
from jinfu.core.api_errors import document_errors, install_error_handlers
from jinfu.core.apikeys import ApiKeyAuth, SessionAuthCSRF
from jinfu.core.imports.api import router as imports_router
from jinfu.core.modules import contracts, resolve


class JinfuAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document lists the shared error responses (401/403/404/409/422) everywhere."""

    def get_openapi_schema(self, *args, **kwargs):
        return document_errors(super().get_openapi_schema(*args, **kwargs))


api = JinfuAPI(
    title="jinfu 金服 API",
    version="1",
    description=(
        "区域数字金融服务平台开放接口 (jinfu open API). Browser sessions authenticate with the session "
        "cookie (and CSRF token for writes); institutions' systems send `Authorization: Bearer <api key>`."
    ),
    urls_namespace="api-v1",
    # An API key is checked first: machine clients send no cookies and so need no CSRF token;
    # browser sessions still need the token for unsafe methods.
    auth=[ApiKeyAuth(), SessionAuthCSRF()],
)
api.add_router("/codes/", codes_router)
api.add_router("/imports/", imports_router)
api.add_router("/attachments/", attachments_router)
for _label, contract in contracts():  # every installed module's router, from its contract
    if contract.api_router:
        api.add_router(contract.api_prefix, resolve(contract.api_router))
api.add_router("/", core_router)


# Domain errors, parse errors, a missing login: one bilingual error body (jinfu.core.api_errors).
install_error_handlers(api)
