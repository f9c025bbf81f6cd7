"""The public REST API: /api/v1/ with OpenAPI at /api/v1/openapi.json and docs at /api/v1/docs."""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from jinfu.brain.api import router as brain_router
from jinfu.core.api import router as core_router
from jinfu.core.api_codes import router as codes_router
from jinfu.core.apikeys import ApiKeyAuth, SessionAuthCSRF
from jinfu.core.imports.api import router as imports_router
from jinfu.credit.api import router as credit_router
from jinfu.financing.api import router as financing_router
from jinfu.listing.api import router as listing_router
from jinfu.policy.api import router as policy_router

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
api.add_router("/brain/", brain_router)
api.add_router("/financing/", financing_router)
api.add_router("/policy/", policy_router)
api.add_router("/listing/", listing_router)
api.add_router("/credit/", credit_router)
api.add_router("/", core_router)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request,
        {"detail": "未登录或 API 密钥无效 / Not authenticated or invalid API key", "code": "unauthenticated"},
        status=401,
    )
