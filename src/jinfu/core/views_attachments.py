"""Attachment pages: upload a file on a record, and view one in the browser (core/attachments.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import attachments
from .audit import client_ip
from .errors import Forbidden, JinfuError
from .exports import content_disposition
from .web import page

# The file answers on its own: a PDF or image for the browser's viewer, nothing to run, never framed.
FILE_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'none'"
)


def panel(request, model_label: str, record) -> dict:
    """Context for ``core/_attachments.html`` on a record's page: its files and the kinds this reader may
    upload now (the caller has already shown the record, so the reader may see its files)."""
    owner = attachments.owner_of(model_label)
    return {
        "owner": model_label,
        "object_id": record.pk,
        "files": attachments.list_for(request.user, model_label, record.pk),
        "kinds": attachments.uploadable_kinds(request.user, owner, record),
        "kind_labels": attachments.kind_labels(owner),
        "max_size": attachments.size_label(attachments.max_bytes()),
    }


@page
@require_POST
def upload(request, owner: str, object_id: int):
    declared = attachments.owner_of(owner)
    back = reverse(declared.url_name, args=[object_id])
    file = request.FILES.get("file")
    if file is None:
        messages.error(request, "请选择要上传的文件")
        return redirect(back)
    try:
        att = attachments.upload(
            request.user, owner, object_id, request.POST.get("kind", ""), file, ip=client_ip(request)
        )
    except Forbidden:
        raise
    except JinfuError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, f"已上传：{att.original_name}")
    return redirect(back)


@page
@require_GET
def download(request, pk: int):
    att, path = attachments.open_attachment(request.user, pk, ip=client_ip(request))
    return file_response(att, path)


def file_response(att, path) -> FileResponse:
    """The file for the browser's own viewer (inline): its sniffed type, nosniff, no caching, a policy
    that lets the PDF or image show and nothing run or frame it."""
    response = FileResponse(path.open("rb"), content_type=att.mime_type)
    response["Content-Disposition"] = content_disposition(
        att.original_name, f"attachment-{att.pk}{path.suffix}", disposition="inline"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = FILE_CSP
    return response
