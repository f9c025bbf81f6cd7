"""Import jobs stored before imports were checked against the importer's rights kept, in their diff,
current values the importer may not see and ID numbers unmasked (issue 9, case 2). Redact them:
ID numbers masked in every job's diff and problems; in jobs of anyone but an admin, every current
(old) value of the diff hidden. Such a job, if committed later, is validated again under the new rules."""

from django.db import migrations

ID_FIELDS = {"legal_rep_id_number"}
HIDDEN = "（无权查看）"


def _mask(n) -> str:
    n = "" if n is None else str(n)
    if not n:
        return ""
    return n[:3] + "*" * (len(n) - 7) + n[-4:] if len(n) > 7 else "*" * len(n)


def _admin_job(job) -> bool:
    owner = (job.summary or {}).get("owner") or {}
    if owner.get("api_key_id"):
        return False
    user = job.created_by
    return user is not None and (user.is_superuser or user.role == "admin")


def redact(apps, schema_editor):
    ImportJob = apps.get_model("core", "ImportJob")
    for job in ImportJob.objects.select_related("created_by").iterator(chunk_size=200):
        admin = _admin_job(job)
        summary = job.summary if isinstance(job.summary, dict) else {}
        for d in summary.get("diff") or []:
            for f, pair in list((d.get("changes") or {}).items()):
                old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, None)
                if f in ID_FIELDS:
                    old, new = _mask(old), _mask(new)
                if not admin:
                    old = HIDDEN
                d["changes"][f] = [old, new]
        for e in job.errors or []:
            if isinstance(e, dict) and e.get("field") in ID_FIELDS:
                e["value"] = _mask(e.get("value"))
        ImportJob.objects.filter(pk=job.pk).update(summary=summary, errors=job.errors or [])


class Migration(migrations.Migration):
    dependencies = [("core", "0004_disclosure_record")]

    operations = [migrations.RunPython(redact, migrations.RunPython.noop)]
