"""Attachments: files on a record of any module (docs/security.md, "Exports and attachments").

A module declares which of its records carry files in its contract (``AttachmentOwner``: the kinds with
Chinese labels, who may see the record's files, who may upload which kind now). The kernel does the rest:

- the type is sniffed from the content (PDF, PNG, JPEG only) and must match the file name's extension, so a
  ``.pdf`` that is really HTML is refused; size is limited (:func:`max_bytes`, setting
  ``JINFU_ATTACHMENT_MAX_BYTES``, 10 MB by default);
- files are stored under ``JINFU_DATA_DIR/attachments`` with a random name (never the uploaded one), a
  directory no URL serves; the SHA-256 is recorded;
- every download goes through :func:`open_attachment`, which asks the owner module whether the reader may
  see the record (the same rule as the record's page) and records the attempt, allowed or not, as a
  security event (kind ``attachment``); uploads are recorded the same way.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .audit import record_event
from .errors import Forbidden, JinfuError, NotFound, ValidationFailed
from .models import Attachment, SecurityEvent
from .modules import AttachmentOwner, attachment_owners, resolve
from .principal import as_principal

CHUNK = 64 * 1024

# (magic bytes, MIME type, allowed extensions)
SIGNATURES = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
)
TYPE_LABELS = {"application/pdf": "PDF", "image/png": "PNG 图片", "image/jpeg": "JPEG 图片"}


def max_bytes() -> int:
    return int(settings.JINFU_ATTACHMENT_MAX_BYTES)


def size_label(n: int) -> str:
    """1536 → "1.5 KB", 10485760 → "10 MB" (for messages and the upload form)."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{n / 1024:.1f}".removesuffix(".0") + " KB"


def storage_dir() -> Path:
    return Path(settings.DATA_DIR) / "attachments"


def sniff(name: str, head: bytes) -> str:
    """The MIME type of a file from its first bytes, if it is a PDF, PNG or JPEG whose name's extension
    says the same; otherwise a ValidationFailed naming what was found."""
    ext = Path(name).suffix.lower()
    allowed = {e for _magic, _mime, exts in SIGNATURES for e in exts}
    if ext not in allowed:
        raise ValidationFailed(
            "只能上传 PDF、PNG 或 JPEG 文件",
            f"file {name!r}: only .pdf, .png, .jpg/.jpeg files are accepted",
            field="file",
            code="file_type",
        )
    for magic, mime, exts in SIGNATURES:
        if head.startswith(magic):
            if ext in exts:
                return mime
            break
    raise ValidationFailed(
        "文件内容与扩展名不符（只接受真实的 PDF、PNG 或 JPEG 文件）",
        f"file {name!r}: its content is not a {ext[1:].upper()} file (type is checked from the content)",
        field="file",
        code="file_content",
    )


def owner_of(model_label: str) -> AttachmentOwner:
    owner = attachment_owners().get(model_label)
    if owner is None:
        raise NotFound("该类记录不能上传附件", f"records of type {model_label!r} carry no attachments")
    return owner


def kind_labels(owner: AttachmentOwner) -> dict[str, str]:
    return {k: str(label) for k, label in owner.kinds}


def _log(p, *, action: str, allowed: bool, owner: str, owner_id, ip=None, **detail):
    record_event(
        SecurityEvent.Kind.ATTACHMENT,
        user=p.user,
        username=p.user.username if p.user else (f"api:{p.api_key.prefix}" if p.api_key else ""),
        ip=ip,
        action=action,
        allowed=allowed,
        owner=owner,
        owner_id=owner_id,
        organization=p.org_id,
        channel=p.channel,
        **detail,
    )


def parent_record(actor, owner: AttachmentOwner, object_id: int, *, write: bool = False):
    """The record the files belong to, if the actor may see its files (NotFound/Forbidden otherwise). An
    API key also needs the owner's read scope (write scope to upload)."""
    p = as_principal(actor)
    scope = owner.write_scope if write else owner.read_scope
    if not p.has_api_scope(scope):
        raise Forbidden(f"API 密钥缺少权限 {scope}", f"API key lacks scope {scope}", code="api_scope")
    return resolve(owner.parent)(p, object_id)


def uploadable_kinds(actor, owner: AttachmentOwner, record) -> list[tuple[str, str]]:
    allowed = set(resolve(owner.uploads)(as_principal(actor), record))
    return [(k, str(label)) for k, label in owner.kinds if k in allowed]


def list_for(actor, model_label: str, object_id: int) -> list[Attachment]:
    """The files of a record the actor may see (raises like the record's own selector otherwise)."""
    owner = owner_of(model_label)
    parent_record(actor, owner, object_id)
    ct = _content_type(model_label)
    return list(
        Attachment.objects.filter(owner_type=ct, owner_id=object_id).select_related(
            "organization", "uploaded_by"
        )
    )


def _content_type(model_label: str) -> ContentType:
    app_label, _, model = model_label.partition(".")
    return ContentType.objects.get_by_natural_key(app_label, model)


def _read_limited(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise _too_large(upload.name, size)
    data = bytearray()
    for chunk in upload.chunks(CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(CHUNK), b""):
        data.extend(chunk)
        if len(data) > max_bytes():
            raise _too_large(upload.name, len(data))
    if not data:
        raise ValidationFailed(
            "文件是空的", f"file {upload.name!r} is empty", field="file", code="file_empty"
        )
    return bytes(data)


def _too_large(name: str, size: int) -> ValidationFailed:
    limit = max_bytes()
    return ValidationFailed(
        f"文件过大：单个文件不超过 {size_label(limit)}",
        f"file {name!r} has {size} bytes or more; the limit is {limit} bytes",
        field="file",
        code="file_size",
    )


def upload(actor, model_label: str, object_id: int, kind: str, file, *, ip: str | None = None) -> Attachment:
    """Attach a file to a record: the owner module decides who may upload which kind now; the kernel
    checks the content, stores it under a random name and records the upload (refusals too)."""
    p = as_principal(actor)
    owner = owner_of(model_label)
    name = Path(getattr(file, "name", "") or "file").name[:200]
    try:
        record = parent_record(p, owner, object_id, write=True)
        if kind not in dict(uploadable_kinds(p, owner, record)):
            label = kind_labels(owner).get(kind)
            raise Forbidden(
                f"您不能上传“{label}”" if label else "未知的材料类型",
                f"you may not upload attachments of kind {kind!r} on this record now",
                field="kind",
            )
        data = _read_limited(file)
        mime = sniff(name, data[:16])
    except JinfuError as exc:
        _log(
            p,
            action="upload",
            allowed=False,
            owner=model_label,
            owner_id=object_id,
            ip=ip,
            file_kind=kind,
            name=name,
            reason=exc.code,
        )
        raise
    digest = hashlib.sha256(data).hexdigest()
    stored = f"{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    path = storage_dir() / stored
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        with transaction.atomic():
            att = Attachment.objects.create(
                owner_type=_content_type(model_label),
                owner_id=object_id,
                kind=kind,
                original_name=name,
                mime_type=mime,
                size=len(data),
                sha256=digest,
                stored_name=stored,
                organization=p.organization,
                uploaded_by=p.user,
            )
            _log(
                p,
                action="upload",
                allowed=True,
                owner=model_label,
                owner_id=object_id,
                ip=ip,
                attachment=att.pk,
                file_kind=kind,
                sha256=digest,
                size=len(data),
            )
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return att


def open_attachment(actor, pk: int, *, ip: str | None = None) -> tuple[Attachment, Path]:
    """An attachment and its file for a reader allowed to see its record; every attempt is recorded.
    An attachment the reader may not see answers NotFound, as if it did not exist."""
    p = as_principal(actor)
    att = Attachment.objects.select_related("owner_type").filter(pk=pk).first()
    label = f"{att.owner_type.app_label}.{att.owner_type.model}" if att else ""
    try:
        if att is None:
            raise NotFound("附件不存在", f"attachment {pk} not found")
        parent_record(p, owner_of(label), att.owner_id)
    except JinfuError as exc:
        _log(
            p,
            action="view",
            allowed=False,
            owner=label,
            owner_id=att.owner_id if att else None,
            ip=ip,
            attachment=pk,
            reason=exc.code,
        )
        raise NotFound("附件不存在或无权查看", f"attachment {pk} not found or not visible to you") from exc
    path = storage_dir() / att.stored_name
    if not path.is_file():
        raise NotFound("附件文件已不存在", f"the file of attachment {pk} is missing from storage")
    _log(p, action="view", allowed=True, owner=label, owner_id=att.owner_id, ip=ip, attachment=pk)
    return att, path
