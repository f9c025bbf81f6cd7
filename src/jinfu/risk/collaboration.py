"""Three-party collaboration on a case (三方联动: 金融办, 行业主管部门, 街镇网格): tasks for the offices the routing
table named (``Case.industry_office`` / ``Case.street_office``), each with a due date in working days, their
replies, and notes on the case. The case's regulators (and the operator) give tasks and may record any reply;
an office the routing named (a 行业主管部门 user, role ``sector``; a 街镇 user, role ``street``) completes the
tasks given to its party and writes notes on the case or on those tasks — never another party's task.
Completing a task and an office's note are also written to the case's timeline (``CaseEvent``), so the
regulator follows the offices' work there. Written in transactions, audited (django-auditlog on CaseTask and
CaseNote)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jinfu.core import workflow
from jinfu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jinfu.core.models import Role
from jinfu.core.principal import as_principal
from jinfu.core.reference import workdays

from .cases import get_case, may_work, party_of
from .models import Case, CaseEvent, CaseNote, CaseTask

DEFAULT_WORKDAYS = 5
MAX_WORKDAYS = 60
MAX_NOTE = 1000
MIN_REPLY = 4


def _open_case(actor, case_pk: int):
    p = as_principal(actor)
    case = get_case(p, case_pk)  # NotFound outside the jurisdiction, Forbidden for other roles
    if case.status == Case.Status.CLOSED:
        raise Conflict("案件已结案，不能再交办或记录", "the case is closed")
    return p, case


def _timeline(case: Case, user, note: str) -> None:
    CaseEvent.objects.create(
        case=case,
        from_status=case.status,
        to_status=case.status,
        action="collab",
        actor=user,
        note=note[:500],
    )


def _may_work_task(p, case: Case, task: CaseTask) -> bool:
    return may_work(p, case) or party_of(p, case) == task.party


def office_for(case: Case, party: str) -> str:
    return {"industry": case.industry_office, "street": case.street_office}.get(party, "")


def offices(case: Case) -> list[tuple[str, str, str]]:
    """(party, its label, the office) for each party the routing named on this case."""
    return [
        (party, str(label), office_for(case, party))
        for party, label in CaseTask.Party.choices
        if office_for(case, party)
    ]


def add_task(actor, case_pk: int, *, party: str, title: str, workdays_due=DEFAULT_WORKDAYS) -> CaseTask:
    p, case = _open_case(actor, case_pk)
    if not may_work(p, case):
        raise Forbidden("任务由辖区监管部门交办", "only the case's regulators give tasks")
    if party not in CaseTask.Party.values:
        raise ValidationFailed(
            "请选择协作方：行业主管部门或街镇", "party must be industry or street", field="party"
        )
    office = office_for(case, party)
    if not office:
        raise ValidationFailed(
            f"分派规则没有为本案匹配到{CaseTask.Party(party).label}，请先维护分派规则",
            f"the routing table names no {party} office for this case",
            field="party",
        )
    title = (title or "").strip()
    if not 2 <= len(title) <= 200:
        raise ValidationFailed("请填写任务内容（2–200 字）", "the task needs 2–200 characters", field="title")
    try:
        n = int(workdays_due)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= MAX_WORKDAYS:
        raise ValidationFailed(
            f"办理时限须为 1–{MAX_WORKDAYS} 个工作日",
            f"the due date is 1–{MAX_WORKDAYS} working days",
            field="workdays",
        )
    due = workdays.add_workdays(timezone.localdate(), n, estimate=True)
    with transaction.atomic():
        task = CaseTask.objects.create(
            case=case, party=party, office=office, title=title, due=due, created_by=p.user
        )
        _notify_office(case, task)
    return task


def _notify_office(case: Case, task: CaseTask) -> None:
    """Tell the users of the office the task went to (when it has accounts), once the task is committed."""
    org = case.industry_org if task.party == "industry" else case.street_org
    if org is None:
        return
    workflow.notify_on_commit(
        workflow.Notice(
            workflow.members(org, roles=[Role.SECTOR if task.party == "industry" else Role.STREET]),
            kind="risk_case_task",
            title=f"涉众风险案件 {case.number} 交办协查任务：{task.title}",
            body=f"请于 {task.due:%Y-%m-%d} 前办结并填写办理结果。",
            url=f"/risk/cases/{case.pk}/",
            link_roles=("sector", "street"),
        )
    )


def complete_task(actor, case_pk: int, task_pk: int, *, reply: str) -> CaseTask:
    p, case = _open_case(actor, case_pk)
    reply = (reply or "").strip()
    if not MIN_REPLY <= len(reply) <= MAX_NOTE:
        raise ValidationFailed(
            f"请填写承办单位的办理结果（{MIN_REPLY}–{MAX_NOTE} 字）",
            f"the office's reply needs {MIN_REPLY}–{MAX_NOTE} characters",
            field="reply",
        )
    with transaction.atomic():
        task = CaseTask.objects.select_for_update().filter(pk=task_pk, case=case).first()
        if task is None:
            raise NotFound("本案没有该任务", "no such task on this case")
        if not _may_work_task(p, case, task):
            raise Forbidden("只能办结交给本单位的任务", "an office completes only the tasks given to it")
        if task.status == CaseTask.Status.DONE:
            raise Conflict("该任务已办结", "the task is already done")
        task.status, task.reply = CaseTask.Status.DONE, reply
        task.done_by, task.done_at = p.user, timezone.now()
        task.save()
        _timeline(case, p.user, f"{task.office}办结任务「{task.title}」：{reply}")
    return task


def add_note(actor, case_pk: int, *, text: str, task_pk: int | None = None) -> CaseNote:
    p, case = _open_case(actor, case_pk)
    text = (text or "").strip()
    if not 2 <= len(text) <= MAX_NOTE:
        raise ValidationFailed(
            f"备注须为 2–{MAX_NOTE} 字", f"a note has 2–{MAX_NOTE} characters", field="text"
        )
    task = None
    if task_pk:
        task = CaseTask.objects.filter(pk=task_pk, case=case).first()
        if task is None:
            raise NotFound("本案没有该任务", "no such task on this case", field="task")
        if not _may_work_task(p, case, task):
            raise Forbidden("只能就交给本单位的任务记录备注", "an office notes only on its own tasks")
    with transaction.atomic():
        note = CaseNote.objects.create(
            case=case, task=task, text=text, author=p.user, author_org=p.organization
        )
        if party_of(p, case):
            _timeline(case, p.user, f"{p.organization.name}备注：{text}")
    return note


def board(actor, case_pk: int) -> dict:
    """The case page's collaboration card: tasks (open first, overdue flagged), notes, the named offices."""
    case = get_case(actor, case_pk)
    today = timezone.localdate()
    tasks = list(case.tasks.order_by("status", "due", "pk"))
    for t in tasks:
        t.overdue = t.status == CaseTask.Status.OPEN and t.due < today
    p = as_principal(actor)
    mine = party_of(p, case)
    for t in tasks:
        t.workable = may_work(p, case) or t.party == mine
    return {
        "tasks": tasks,
        "notes": list(case.notes.select_related("author", "author_org", "task")),
        "offices": offices(case) if may_work(p, case) else [],  # who may give tasks
        "gives_tasks": may_work(p, case),
        "party": mine,
        "default_workdays": DEFAULT_WORKDAYS,
    }
