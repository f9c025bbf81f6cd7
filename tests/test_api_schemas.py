"""Every operation under /api/v1 declares what it answers (issue 10 item 7): a ninja Schema (or a list of
one) for its success status, typed down to the leaves, and the shared ``Error`` schema (core/api_errors.py)
for any error status it names. The walk starts from the routers mounted in src/jinfu/api.py, which include
each module's router from its contract, so a new module's endpoints are checked as soon as it is installed.
"""

from __future__ import annotations

from ninja.constants import NOT_SET
from pydantic import BaseModel

from jinfu.api import api
from jinfu.core.api_errors import ErrorOut
from jinfu.core.modules import contracts, resolve


def _routers(prefix, router):
    yield prefix, router
    for child_prefix, child in getattr(router, "_routers", []):
        yield from _routers(prefix.rstrip("/") + "/" + child_prefix.strip("/"), child)


def _operations():
    """(label, operation) of every operation of the API, e.g. ('GET /brain/plans', op)."""
    for prefix, router in api._routers:
        for router_prefix, r in _routers(prefix, router):
            for path, view in r.path_operations.items():
                for op in view.operations:
                    for method in op.methods:
                        yield f"{method} {router_prefix.rstrip('/')}{path}", op


def _declared(op) -> dict:
    """status -> model of the operation's response= (ninja keeps NOT_SET when there is none)."""
    models = op.response_models if isinstance(op.response_models, dict) else {}
    return {status: m for status, m in models.items() if m is not NOT_SET}


def _annotation(model):
    """The type a response= declaration named (ninja wraps it in a model with one field, ``response``)."""
    return model.model_fields["response"].annotation if model is not None else None


def _is_schema(annotation) -> bool:
    """A Schema, or a list of Schemas; not dict, Any, a bare list or a scalar."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    args = getattr(annotation, "__args__", ())
    return getattr(annotation, "__origin__", None) is list and len(args) == 1 and _is_schema(args[0])


def _documents_a_file(op, status: int) -> bool:
    """A download (response={200: None}) documents its non-JSON content in openapi_extra."""
    content = (op.openapi_extra or {}).get("responses", {}).get(status, {}).get("content", {})
    return bool(content) and "application/json" not in content


def _untyped(schema: dict, defs: dict, where: str, seen: set) -> list[str]:
    """Paths inside a JSON schema where anything goes: Any, dict, a bare list, an object of Any."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _untyped(defs[name], defs, name, seen | {name})
    found = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += _untyped(option, defs, where, seen)
    kind = schema.get("type")
    if not kind and not any(k in schema for k in ("anyOf", "oneOf", "allOf", "const", "enum")):
        return [where]
    if kind == "array" and "prefixItems" in schema:  # a tuple: each position typed
        for i, item in enumerate(schema["prefixItems"]):
            found += _untyped(item, defs, f"{where}[{i}]", seen)
    elif kind == "array":
        items = schema.get("items")
        found += _untyped(items, defs, f"{where}[]", seen) if items else [f"{where}[]"]
    if kind == "object":
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        if not props and not isinstance(extra, dict):
            found.append(where)
        if isinstance(extra, dict):
            found += _untyped(extra, defs, f"{where}{{}}", seen)
        for name, sub in props.items():
            found += _untyped(sub, defs, f"{where}.{name}", seen)
    return found


def _models_in(annotation, found: set) -> set:
    """Every pydantic model named by a type annotation, its fields' types included."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models_in(field.annotation, found)
        return found
    for arg in getattr(annotation, "__args__", ()):
        _models_in(arg, found)
    return found


def test_no_two_schemas_share_a_name():
    """The OpenAPI document names a schema by its class name: two classes with one name (ClaimOut in two
    modules) would silently document one operation with the other's schema."""
    models: set = set()
    for _label, op in _operations():
        for model in list(_declared(op).values()) + list(op.models):
            if model is not None:
                for field in model.model_fields.values():
                    _models_in(field.annotation, models)
    by_name: dict[str, set] = {}
    for model in models:
        by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not shared, shared


def test_the_walk_covers_every_module_router_and_finds_the_operations():
    mounted = [router for _prefix, router in api._routers]
    for label, contract in contracts():
        if contract.api_router:
            assert any(r is resolve(contract.api_router) for r in mounted), label
    labels = [label for label, _op in _operations()]
    assert len(labels) == len(set(labels)) and len(labels) > 90
    assert "GET /brain/plans" in labels and "GET /risk/overview" in labels


def test_every_operation_declares_a_schema_for_its_success_status():
    missing = []
    for label, op in _operations():
        success = {s: m for s, m in _declared(op).items() if 200 <= s < 300}
        if not success:
            missing.append(f"{label}: no response=")
        for status, model in success.items():
            annotation = _annotation(model)
            if annotation is None and _documents_a_file(op, status):
                continue
            if not _is_schema(annotation):
                missing.append(f"{label}: {status} answers {annotation!r}, not a Schema")
    assert not missing, "\n".join(missing)


def test_every_declared_error_status_uses_the_shared_error_schema():
    wrong = [
        f"{label}: {status} -> {_annotation(model)!r}"
        for label, op in _operations()
        for status, model in _declared(op).items()
        if status >= 400 and _annotation(model) is not ErrorOut
    ]
    assert not wrong, "\n".join(wrong)


def test_the_openapi_document_gives_every_error_status_the_error_schema():
    ref = {"$ref": "#/components/schemas/Error"}
    document = api.get_openapi_schema()
    wrong = [
        f"{method.upper()} {path}: {status}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if int(status) >= 400 and response.get("content", {}).get("application/json", {}).get("schema") != ref
    ]
    assert not wrong, "\n".join(wrong)


# Fields of older schemas still typed as a bare dict or list; each is to be typed and removed from here (the
# test fails when an entry is typed, so the list only shrinks). A new schema may not add to it.
LEGACY_LOOSE = {
    "CatalogueOut.published_counts",
    "EnterpriseOut.public",
    "EnterpriseOut.sections",
    "FirmOut.versions",
    "InnovationOut.breakdown[]",
    "JobOut.committed",
    "JobOut.counts",
    "JobOut.diff[]",
    "PolicyOut.faq[]",
    "PreCreditOut.steps[]",
    "ScoreOut.breakdown[]",
    "ScoreOut.improvements[]",
    "ScoreOut.reasons[]",
    "TaskOut.numeric_targets[]",
}


def test_success_schemas_are_typed_down_to_the_leaves():
    loose = set()
    for label, op in _operations():
        for status, model in _declared(op).items():
            if 200 <= status < 300 and model is not None:
                schema = model.model_json_schema(ref_template="#/$defs/{model}")
                defs = schema.get("$defs", {})
                field = schema["properties"]["response"]
                loose.update(_untyped(field, defs, label, set()))
    assert not loose - LEGACY_LOOSE, "\n".join(sorted(loose - LEGACY_LOOSE))
    assert not LEGACY_LOOSE - loose, f"typed now, remove from LEGACY_LOOSE: {sorted(LEGACY_LOOSE - loose)}"
