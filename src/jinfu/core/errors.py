"""Errors that carry a bilingual message (Chinese first, English second) for UI and API."""


class JinfuError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self, message_zh: str, message_en: str, *, code: str | None = None, field: str | None = None
    ):
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class ValidationFailed(JinfuError):
    status = 422
    code = "validation"


class Conflict(ValidationFailed):
    """The request clashes with the record's current state or version (someone else acted first)."""

    status = 409
    code = "conflict"


class Forbidden(JinfuError):
    status = 403
    code = "forbidden"


class ConsentRequired(Forbidden):
    code = "consent_required"


class NotFound(JinfuError):
    status = 404
    code = "not_found"


class TooManyRequests(JinfuError):
    status = 429
    code = "rate_limited"
