"""The public REST API: /api/v1/ with OpenAPI at /api/v1/openapi.json and docs at /api/v1/docs."""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from jinfu.core.api import router as core_router
from jinfu.core.api_codes import router as codes_router
from jinfu.core.apikeys import ApiKeyAuth, SessionAuthCSRF
from jinfu.core.imports.api import router as imports_router
from jinfu.core.modules import contracts, resolve

api = NinjaAPI(
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
for _label, contract in contracts():  # every installed module's router, from its contract
    if contract.api_router:
        api.add_router(contract.api_prefix, resolve(contract.api_router))
api.add_router("/", core_router)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request,
        {"detail": "未登录或 API 密钥无效 / Not authenticated or invalid API key", "code": "unauthenticated"},
        status=401,
    )
