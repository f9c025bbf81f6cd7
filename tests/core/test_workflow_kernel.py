"""The workflow kernel (core/workflow.py): the table's validation and the next steps (pure), and apply():
lock + version (409), who may (403), guards, SLA in working days across a holiday with pause/resume, the
timeline row, notifications only after the commit, and idempotent overdue escalation.

The DB tests run on two small models declared here (a ticket and its timeline), created for this module."""

import datetime as dt
import types

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction

from jinfu.core import workflow as wf
from jinfu.core.errors import Conflict, Forbidden, ValidationFailed
from jinfu.core.models import Notification, Organization
from jinfu.core.principal import Principal


class Ticket(models.Model):
    status = models.CharField(max_length=16, default="open")
    lock_version = models.PositiveIntegerField(default=0)
    stage_due = models.DateField(null=True)
    sla_paused_days = models.IntegerField(null=True)
    owner = models.ForeignKey(Organization, null=True, on_delete=models.CASCADE, related_name="+")
    amount = models.IntegerField(default=0)
    escalated_at = models.DateTimeField(null=True)

    class Meta:
        app_label = "core"
        db_table = "test_wf_ticket"

    def __str__(self):
        return f"ticket {self.pk}"


class TicketEvent(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=20, blank=True)
    due = models.DateField(null=True)
    overdue = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "core"
        db_table = "test_wf_ticket_event"

    def __str__(self):
        return f"{self.from_status}→{self.to_status}"


# Declared for this module only: taken out of the app registry again, so that deleting an organization or a
# user anywhere else in the run does not cascade into tables that exist only while these tests run.
for _model in (Ticket, TicketEvent):
    apps.all_models["core"].pop(_model._meta.model_name)
apps.clear_cache()


def _owner(p, ticket) -> bool:
    return p.org_id is not None and p.org_id == ticket.owner_id


def _positive_amount(step):
    if step.params.get("amount", 0) <= 0:
        raise ValidationFailed("金额必须大于 0", "amount must be positive", field="amount")


def _set_amount(step):
    step.obj.amount = step.params["amount"]
    step.outputs["amount"] = step.obj.amount


def _tell_owner(step):
    return [wf.Notice(wf.members(step.obj.owner_id), kind="ticket", title=f"工单{step.transition.label_zh}")]


TICKETS = wf.Workflow(
    name="test.ticket",
    model=Ticket,
    states=("open", "accepted", "waiting", "done", "closed"),
    initial="open",
    transitions=(
        wf.Transition(
            "accept",
            "open",
            "accepted",
            "受理",
            who_may=_owner,
            forbidden_zh="只有责任单位可以受理",
            forbidden_en="only the owner accepts",
            guards=(_positive_amount,),
            effect=_set_amount,
            sla_workdays=3,
            notify=_tell_owner,
        ),
        wf.Transition("wait", "accepted", "waiting", "等待补正", who_may=_owner, pauses_sla=True),
        wf.Transition("resume", "waiting", "accepted", "恢复办理", who_may=_owner, resumes_sla=True),
        wf.Transition("finish", "accepted", "done", "办结", who_may=_owner, notify=_tell_owner),
        wf.Transition("close", ("open", "accepted"), "closed", "关闭", who_may=("government",)),
    ),
    timeline=wf.Timeline(TicketEvent, "ticket"),
    paused_field="sla_paused_days",
    noun_zh="工单",
    noun_en="ticket",
    escalation=wf.Escalation(
        notices=lambda t: [wf.Notice(wf.members(t.owner_id), kind="ticket_overdue", title="工单已超时")]
    ),
)


# ---------------------------------------------------------------------------
# Pure: the table and the next steps
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("transitions", "problem"),
    [
        ((wf.Transition("go", "open", "nowhere", "走"),), "unknown target 'nowhere'"),
        ((wf.Transition("go", "nowhere", "done", "走"),), "unknown source 'nowhere'"),
        ((wf.Transition("go", "open", "done", "走"), wf.Transition("go", "open", "done", "走")), "twice"),
        ((wf.Transition("go", "open", "done", ""),), "no Chinese label"),
        ((wf.Transition("go", "open", "done", "走", resumes_sla=True),), "no clock fields"),
        ((wf.Transition("go", (), "done", "走"),), "no source state"),
    ],
)
def test_an_invalid_transition_table_is_rejected_when_declared(transitions, problem):
    with pytest.raises(wf.InvalidWorkflow, match=problem):
        wf.Workflow(name="bad", model=None, states=("open", "done"), initial="open", transitions=transitions)


def test_a_resume_must_follow_a_pause_and_every_named_state_must_be_reachable():
    with pytest.raises(wf.InvalidWorkflow, match="resumes the SLA from a state no pause leads to"):
        wf.Workflow(
            name="bad",
            model=None,
            states=("open", "done"),
            initial="open",
            transitions=(wf.Transition("go", "open", "done", "走", resumes_sla=True),),
            paused_field="paused",
        )
    with pytest.raises(wf.InvalidWorkflow, match="'lost' cannot be reached"):
        wf.Workflow(
            name="bad",
            model=None,
            states=("open", "done", "lost"),
            initial="open",
            transitions=(
                wf.Transition("go", "open", "done", "走"),
                wf.Transition("back", "lost", "open", "回"),
            ),
        )


def test_next_steps_and_allowed_buttons_need_no_database():
    assert [t.name for t in TICKETS.next_from("accepted")] == ["wait", "finish", "close"]
    assert TICKETS.final == {"done", "closed"}
    owner_org = types.SimpleNamespace(pk=7)
    ticket = types.SimpleNamespace(status="accepted", owner_id=7)
    owner = Principal(organization=owner_org, role="institution")
    officer = Principal(organization=types.SimpleNamespace(pk=8), role="government")
    assert [t.name for t in wf.allowed(TICKETS, ticket, owner)] == ["wait", "finish"]
    assert [t.name for t in wf.allowed(TICKETS, ticket, officer)] == ["close"]
    with pytest.raises(ValidationFailed, match="unknown action"):
        TICKETS.transition("fly")


# ---------------------------------------------------------------------------
# apply() on the database
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ticket_tables(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.create_model(Ticket)
            editor.create_model(TicketEvent)
        yield
        with connection.schema_editor() as editor:
            editor.delete_model(TicketEvent)
            editor.delete_model(Ticket)


@pytest.fixture
def owner(ticket_tables, make_user):
    return make_user("institution")


@pytest.fixture
def ticket(owner):
    return Ticket.objects.create(owner=owner.organization)


def test_accept_writes_state_version_deadline_across_a_holiday_and_the_timeline(ticket, owner):
    # 2026-09-30 (Wed) + 3 working days: 10-01..10-07 are the National Day holiday, 10-10 (Sat) is worked
    step = wf.apply(
        TICKETS,
        ticket.pk,
        "accept",
        owner,
        expected_version=0,
        note="受理",
        today=dt.date(2026, 9, 30),
        amount=5,
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.lock_version, ticket.amount) == ("accepted", 1, 5)
    assert ticket.stage_due == dt.date(2026, 10, 10)
    assert step.outputs == {"amount": 5}
    event = ticket.events.get()
    assert (event.from_status, event.to_status, event.actor, event.note, event.due) == (
        "open",
        "accepted",
        owner,
        "受理",
        dt.date(2026, 10, 10),
    )


def test_a_stale_version_is_a_409_conflict_and_writes_nothing(ticket, owner):
    with pytest.raises(Conflict) as err:
        wf.apply(TICKETS, ticket, "accept", owner, expected_version="3", amount=5)
    assert err.value.status == 409 and "工单已被他人处理" in err.value.message_zh
    assert "changed meanwhile" in err.value.message_en
    ticket.refresh_from_db()
    assert (ticket.status, ticket.lock_version, ticket.events.count()) == ("open", 0, 0)
    with pytest.raises(ValidationFailed, match="lock_version"):
        wf.apply(TICKETS, ticket, "accept", owner, expected_version="x", amount=5)


def test_who_may_refuses_with_403_before_the_version_is_revealed(ticket, make_user):
    stranger = make_user("institution")
    with pytest.raises(Forbidden) as err:
        wf.apply(TICKETS, ticket, "accept", stranger, expected_version=99, amount=5)
    assert err.value.status == 403 and err.value.message_zh == "只有责任单位可以受理"
    officer = make_user("government")
    assert wf.apply(TICKETS, ticket, "close", officer).obj.status == "closed"  # a role list


def test_a_guard_refuses_and_nothing_is_written(ticket, owner):
    with pytest.raises(ValidationFailed) as err:
        wf.apply(TICKETS, ticket, "accept", owner, amount=0)
    assert err.value.field == "amount" and err.value.message_en == "amount must be positive"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.lock_version, ticket.events.count()) == ("open", 0, 0)


def test_a_transition_from_the_wrong_state_is_a_conflict_naming_the_state(ticket, owner):
    with pytest.raises(Conflict, match="不能办结"):
        wf.apply(TICKETS, ticket, "finish", owner)


def test_pause_keeps_the_working_days_left_and_resume_restarts_the_clock(ticket, owner):
    wf.apply(TICKETS, ticket, "accept", owner, today=dt.date(2026, 9, 28), amount=1)
    ticket.refresh_from_db()
    assert ticket.stage_due == dt.date(2026, 10, 8)  # 9-29, 9-30, 10-08 (the holiday skipped)
    wf.apply(TICKETS, ticket, "wait", owner, today=dt.date(2026, 9, 29))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.stage_due, ticket.sla_paused_days) == ("waiting", None, 2)  # 9-30, 10-08
    assert list(wf.overdue(TICKETS, dt.date(2026, 12, 1))) == []  # a paused clock is never overdue
    wf.apply(TICKETS, ticket, "resume", owner, today=dt.date(2026, 10, 9))
    ticket.refresh_from_db()
    # 10-09 (Fri) + 2 working days: 10-10 (the make-up Saturday), 10-12 (Mon)
    assert (ticket.status, ticket.stage_due, ticket.sla_paused_days) == (
        "accepted",
        dt.date(2026, 10, 12),
        None,
    )


def test_the_timeline_marks_a_missed_deadline_and_truncates_the_note(ticket, owner):
    wf.apply(TICKETS, ticket, "accept", owner, today=dt.date(2026, 9, 28), amount=1)
    wf.apply(TICKETS, ticket, "finish", owner, note="办" * 50, today=dt.date(2026, 10, 20))
    last = ticket.events.order_by("-pk").first()
    assert last.overdue is True and last.note == "办" * 20 and last.due is None


def test_notices_are_sent_only_when_the_transaction_commits(
    ticket, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        wf.apply(TICKETS, ticket, "accept", owner, amount=1)
        assert not Notification.objects.exists()  # not before the commit
    assert len(callbacks) == 1
    assert Notification.objects.get(recipient=owner).title == "工单受理"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            wf.apply(TICKETS, ticket, "finish", owner)
            raise RuntimeError("the caller's transaction fails after the step")
    assert callbacks == []  # the rolled-back step left nothing to send
    ticket.refresh_from_db()
    assert ticket.status == "accepted" and Notification.objects.count() == 1


def test_overdue_escalation_tells_once_per_deadline(ticket, owner, make_user):
    colleague = make_user("institution", org=owner.organization)
    wf.apply(TICKETS, ticket, "accept", owner, today=dt.date(2026, 9, 28), amount=1)  # due 10-08
    Ticket.objects.create(owner=owner.organization, status="done", stage_due=dt.date(2026, 1, 1))  # final
    assert wf.escalate_overdue(TICKETS, today=dt.date(2026, 10, 8)) == 0  # due today: not yet late
    assert wf.escalate_overdue(TICKETS, today=dt.date(2026, 10, 9)) == 2
    assert wf.escalate_overdue(TICKETS, today=dt.date(2026, 10, 10)) == 0  # idempotent
    notes = Notification.objects.filter(kind="ticket_overdue")
    assert sorted(n.recipient_id for n in notes) == sorted([owner.pk, colleague.pk])
    Ticket.objects.filter(pk=ticket.pk).update(stage_due=dt.date(2026, 10, 20))  # a new deadline
    assert wf.escalate_overdue(TICKETS, today=dt.date(2026, 10, 21)) == 2


def test_a_who_may_that_raises_hides_the_button_and_refuses_with_its_own_message(ticket, owner):
    def office_only(p, obj):
        raise Forbidden("该事项属于其他区县", "another district's record")

    guarded = wf.Workflow(
        name="test.guarded",
        model=Ticket,
        states=("open", "closed"),
        initial="open",
        transitions=(wf.Transition("close", "open", "closed", "关闭", who_may=office_only),),
    )
    assert wf.allowed(guarded, ticket, owner) == []
    with pytest.raises(Forbidden, match="其他区县"):
        wf.apply(guarded, ticket, "close", owner)


def test_record_start_and_an_escalation_marker_that_holds_until_cleared(ticket, owner):
    Ticket.objects.filter(pk=ticket.pk).update(stage_due=dt.date(2026, 6, 1))
    ticket.refresh_from_db()
    first = wf.record_start(TICKETS, ticket, owner, note="新建")
    assert (first.from_status, first.to_status, first.due, first.actor) == (
        "",
        "open",
        dt.date(2026, 6, 1),
        owner,
    )

    marked = wf.Workflow(
        name="test.marked",
        model=Ticket,
        states=("open",),
        initial="open",
        transitions=(),
        final_states=(),
        escalation=wf.Escalation(
            notices=lambda t: [wf.Notice(wf.members(t.owner_id), kind="late", title="已超时")],
            marker_field="escalated_at",
        ),
    )
    assert wf.escalate_overdue(marked, today=dt.date(2026, 6, 2)) == 1
    ticket.refresh_from_db()
    assert ticket.escalated_at is not None
    Notification.objects.all().delete()
    assert wf.escalate_overdue(marked, today=dt.date(2026, 6, 3)) == 0  # marked: skipped, not re-sent
