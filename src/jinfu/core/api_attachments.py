"""Attachment endpoints under /api/v1/attachments/ (multipart upload, list, download); the rules are the
kernel's (core/attachments.py): the owner module's visibility and upload rules, the owner's API scopes."""

from __future__ import annotations

import datetime as dt

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from . import attachments
from .audit import client_ip
from .views_attachments import file_response

router = Router(tags=["attachments 附件"])


class AttachmentOut(Schema):
    id: int
    owner: str
    owner_id: int
    kind: str
    kind_label: str
    original_name: str
    mime_type: str
    size: int
    sha256: str
    organization_id: int | None
    uploaded_at: dt.datetime
    url: str


def _out(att, owner: str) -> dict:
    labels = attachments.kind_labels(attachments.owner_of(owner))
    return {
        "id": att.pk,
        "owner": owner,
        "owner_id": att.owner_id,
        "kind": att.kind,
        "kind_label": labels.get(att.kind, ""),
        "original_name": att.original_name,
        "mime_type": att.mime_type,
        "size": att.size,
        "sha256": att.sha256,
        "organization_id": att.organization_id,
        "uploaded_at": att.uploaded_at,
        "url": f"/api/v1/attachments/{att.pk}",
    }


@router.get(
    "/{owner}/{object_id}", response=list[AttachmentOut], summary="记录的附件 / a record's attachments"
)
def list_attachments(request, owner: str, object_id: int):
    return [_out(a, owner) for a in attachments.list_for(request.auth, owner, object_id)]


@router.post(
    "/{owner}/{object_id}",
    response={201: AttachmentOut},
    summary="上传附件（PDF/PNG/JPEG）/ upload an attachment",
)
def upload_attachment(request, owner: str, object_id: int, kind: Form[str], file: File[UploadedFile]):
    att = attachments.upload(request.auth, owner, object_id, kind, file, ip=client_ip(request))
    return Status(201, _out(att, owner))


_BINARY = {"schema": {"type": "string", "format": "binary"}}
# the file itself, in the type sniffed at upload (attachments.SIGNATURES)
_FILE_RESPONSE = {
    200: {
        "description": "附件文件 / the file",
        "content": {mime: _BINARY for _magic, mime, _exts in attachments.SIGNATURES},
    }
}


@router.get(
    "/{attachment_id}",
    summary="下载附件 / the attachment's file",
    response={200: None},
    openapi_extra={"responses": _FILE_RESPONSE},
)
def download_attachment(request, attachment_id: int):
    att, path = attachments.open_attachment(request.auth, attachment_id, ip=client_ip(request))
    return file_response(att, path)
