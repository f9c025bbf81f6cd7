"""The workflow kernel: one declarative state machine for every module's cases (financing applications,
policy claims, listing reserve entries, brain tasks; risk cases, mediation and tickets next).

A module declares a :class:`Workflow` (its model, states, :class:`Transition` table, timeline and fields) and
calls :func:`apply` to move one record; the kernel does the steps every workflow shares, in this order, in one
transaction:

1. lock the row (``select_for_update``) — :class:`~jinfu.core.errors.NotFound` when it is gone;
2. who may act (``who_may``: roles or a callable) — :class:`~jinfu.core.errors.Forbidden` (checked before the
   version and the state, so a stranger learns neither);
3. the version the client saw (``expected_version``) — :class:`~jinfu.core.errors.Conflict` (409);
4. the current state is a source of the transition — ``Conflict`` naming the state;
5. the guards (callables that check domain facts and raise bilingual ``JinfuError``\\ s);
6. the SLA deadline of the next stage in Chinese working days (``core/reference/workdays`` with the entered
   calendar), or the clock paused (working days left kept) or resumed;
7. the transition's ``effect`` (domain writes: amounts, budgets, payouts), then state, version + 1, save (the
   models are registered with django-auditlog, so the change is audited) and one timeline event row;
8. the transition's notices, sent through ``core/notify.py`` with ``transaction.on_commit``: a rollback sends
   nothing.

The timeline stays each module's own event model (a small protocol, :class:`Timeline`): the rows keep their
foreign key to the record, the pages and the SLA recount read them as before, and no data moves. The parts that
need no database (the table's validation, the next transitions of a state, who may) are plain functions.

See docs/development/workflows.md for how to declare a workflow.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from .errors import Conflict, Forbidden, NotFound, ValidationFailed
from .models import User
from .notify import notify
from .principal import Principal, as_principal
from .reference import workdays

log = logging.getLogger(__name__)

__all__ = [
    "KEEP",
    "Escalation",
    "InvalidWorkflow",
    "Notice",
    "Step",
    "Timeline",
    "Transition",
    "Workflow",
    "allowed",
    "apply",
    "escalate_overdue",
    "members",
    "notify_on_commit",
    "parse_version",
    "record_start",
]


class InvalidWorkflow(ValueError):
    """A transition table that cannot work (unknown states, duplicate names, a resume without a pause…)."""


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()
"""``sla_workdays=KEEP``: the stage's deadline stays as it is (e.g. an objection during a publicity period)."""


# ---------------------------------------------------------------------------
# Notices
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """One in-app notification to send (core/notify.py): recipients, text, link and who may open the link."""

    recipients: Iterable[User]
    kind: str
    title: str
    body: str = ""
    url: str = ""
    key: str = ""
    link_roles: tuple[str, ...] | None = None

    def send(self) -> int:
        return notify(
            self.recipients,
            kind=self.kind,
            title=self.title,
            body=self.body,
            url=self.url,
            key=self.key,
            link_roles=self.link_roles,
        )


def members(*orgs, roles: Iterable[str] | None = None):
    """The active users of the given organizations (objects or ids; None is skipped), optionally only some
    roles: the usual recipients of a notice."""
    ids = [getattr(o, "pk", o) for o in orgs if o is not None]
    users = User.objects.filter(organization_id__in=ids, is_active=True)
    return users.filter(role__in=list(roles)) if roles is not None else users


def _send_all(notices: list[Notice]) -> None:
    for n in notices:
        n.send()


def notify_on_commit(*notices: Notice) -> None:
    """Send the notices once the current transaction commits (at once outside a transaction); a failure to
    notify is logged and never undoes the committed change."""
    todo = [n for n in notices if n is not None]
    if todo:
        transaction.on_commit(lambda: _send_all(todo), robust=True)


# ---------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------

Guard = Callable[["Step"], None]
Who = Callable[[Principal, Any], bool] | Iterable[str] | None


@dataclass(frozen=True)
class Transition:
    """One step of a workflow.

    ``source``: a state or several; ``who_may``: None (anyone signed in), roles, or ``f(principal, obj) -> bool``
    (it may raise its own ``Forbidden``); ``guards``: ``f(step)`` raising a bilingual error when a domain fact
    forbids the step; ``effect``: ``f(step)`` writing the domain changes (runs after the guards and the SLA);
    ``sla_workdays``: working days for the next stage (an int, ``f(step) -> int | None``, None = no deadline,
    :data:`KEEP` = unchanged); ``pauses_sla`` / ``resumes_sla``: stop the clock keeping the working days left,
    and restart it with them; ``notify``: ``f(step) -> [Notice]``, sent on commit."""

    name: str
    source: str | Iterable[str]
    target: str
    label_zh: str
    who_may: Who = None
    forbidden_zh: str = ""
    forbidden_en: str = ""
    guards: tuple[Guard, ...] = ()
    effect: Callable[[Step], None] | None = None
    sla_workdays: int | Callable[[Step], int | None] | None = None
    pauses_sla: bool = False
    resumes_sla: bool = False
    notify: Callable[[Step], Iterable[Notice]] | None = None

    def __post_init__(self):
        sources = (self.source,) if isinstance(self.source, str) else tuple(self.source)
        object.__setattr__(self, "source", frozenset(sources))
        if self.who_may is not None and not callable(self.who_may):
            object.__setattr__(self, "who_may", frozenset(self.who_may))
        object.__setattr__(self, "guards", tuple(self.guards))

    @property
    def sources(self) -> frozenset[str]:
        return self.source  # type: ignore[return-value]

    def may(self, principal: Principal, obj) -> bool:
        """Whether this principal may take the step on ``obj`` (a callable ``who_may`` may raise Forbidden)."""
        if self.who_may is None:
            return True
        if callable(self.who_may):
            return bool(self.who_may(principal, obj))
        return principal.role in self.who_may or principal.is_admin and "admin" in self.who_may


@dataclass(frozen=True)
class Timeline:
    """A module's event model as the workflow's timeline: ``fk`` names its foreign key to the record. The
    kernel writes ``from_status``, ``to_status``, ``actor`` and ``note``, and ``due``, ``overdue`` and
    ``action`` where the model has those fields."""

    model: Any
    fk: str

    def _fields(self) -> dict[str, Any]:
        return {f.name: f for f in self.model._meta.get_fields()}

    def record(
        self, obj, *, source: str, target: str, actor, note: str, due, overdue: bool, action: str, **extra
    ):
        """Write one event row; ``extra`` are further fields of the module's event model (e.g. ``detail``)."""
        fields = self._fields()
        limit = getattr(fields["note"], "max_length", None)
        values = {
            self.fk: obj,
            "from_status": source,
            "to_status": target,
            "actor": actor,
            "note": (note or "")[:limit] if limit else (note or ""),
        }
        optional = {"due": due, "overdue": overdue, "action": action}
        values |= {k: v for k, v in optional.items() if k in fields}
        return self.model.objects.create(**values, **extra)


@dataclass(frozen=True)
class Escalation:
    """Overdue escalation: ``notices(obj) -> [Notice]`` tells whom (sent once per ``key(obj)``, by default the
    record and its deadline, so a new deadline escalates again); ``marker_field`` (optional) is set to the
    time of the escalation, and records with it set are skipped (the module clears it with a new deadline)."""

    notices: Callable[[Any], Iterable[Notice]]
    key: Callable[[Any], str] | None = None
    marker_field: str | None = None


@dataclass(frozen=True)
class Workflow:
    """A declared state machine over one model. Validated when declared (:class:`InvalidWorkflow`)."""

    name: str
    model: Any
    states: Iterable[str]
    initial: str
    transitions: Iterable[Transition]
    timeline: Timeline | None = None
    state_field: str = "status"
    version_field: str | None = "lock_version"
    due_field: str | None = "stage_due"
    paused_field: str | None = None  # working days left while the SLA clock is paused
    waiting: Iterable[str] = ()  # states whose date is a waiting period (公示), not a deadline
    final_states: Iterable[str] | None = None  # default: the states no transition leaves
    noun_zh: str = "记录"
    noun_en: str = "record"
    forbidden_zh: str = "您无权办理该事项"
    forbidden_en: str = "You may not act on this record"
    select_related: tuple[str, ...] = ()
    escalation: Escalation | None = None
    by_name: dict[str, Transition] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "states", tuple(self.states))
        object.__setattr__(self, "transitions", tuple(self.transitions))
        object.__setattr__(self, "waiting", frozenset(self.waiting))
        if self.final_states is not None:
            object.__setattr__(self, "final_states", frozenset(self.final_states))
        object.__setattr__(self, "by_name", {t.name: t for t in self.transitions})
        problems = validate(self)
        if problems:
            raise InvalidWorkflow(f"workflow {self.name}: " + "; ".join(problems))

    def transition(self, name: str) -> Transition:
        t = self.by_name.get(name)
        if t is None:
            raise ValidationFailed(f"未知操作：{name}", f"unknown action: {name}", field="action")
        return t

    def next_from(self, state: str) -> list[Transition]:
        """The transitions whose source is ``state``, in declaration order (pure)."""
        return [t for t in self.transitions if state in t.sources]

    @property
    def final(self) -> frozenset[str]:
        """The declared final states, or else the states no transition leaves."""
        if self.final_states is not None:
            return self.final_states
        return frozenset(s for s in self.states if not self.next_from(s))


def validate(wf: Workflow) -> list[str]:
    """Everything wrong with a transition table (pure): empty when it can work."""
    problems = []
    states = set(wf.states)
    if len(states) != len(wf.states):
        problems.append("a state is listed twice")
    if wf.initial not in states:
        problems.append(f"initial state {wf.initial!r} is not a state")
    names = [t.name for t in wf.transitions]
    problems += [
        f"transition {n!r} is declared twice" for n in sorted({n for n in names if names.count(n) > 1})
    ]
    for t in wf.transitions:
        if not t.sources:
            problems.append(f"transition {t.name!r} has no source state")
        problems += [f"transition {t.name!r}: unknown source {s!r}" for s in sorted(t.sources - states)]
        if t.target not in states:
            problems.append(f"transition {t.name!r}: unknown target {t.target!r}")
        if not t.label_zh:
            problems.append(f"transition {t.name!r} has no Chinese label")
        if t.pauses_sla and t.resumes_sla:
            problems.append(f"transition {t.name!r} both pauses and resumes the SLA clock")
        if (t.pauses_sla or t.resumes_sla) and not (wf.due_field and wf.paused_field):
            problems.append(
                f"transition {t.name!r} pauses or resumes the SLA but the workflow has no clock fields"
            )
        if (t.pauses_sla or t.resumes_sla) and t.sla_workdays is not None:
            problems.append(f"transition {t.name!r}: a pause or resume sets no working days of its own")
        if t.sla_workdays is not None and not wf.due_field and t.sla_workdays is not KEEP:
            problems.append(f"transition {t.name!r} sets an SLA but the workflow has no due field")
    problems += [f"unknown waiting state {s!r}" for s in sorted(wf.waiting - states)]
    problems += [f"unknown final state {s!r}" for s in sorted(set(wf.final_states or ()) - states)]
    paused = {t.target for t in wf.transitions if t.pauses_sla}
    for t in wf.transitions:
        if t.resumes_sla and not t.sources <= paused:
            problems.append(f"transition {t.name!r} resumes the SLA from a state no pause leads to")
    reached, todo = {wf.initial}, [wf.initial]
    while todo:
        for t in wf.next_from(todo.pop()):
            if t.target not in reached:
                reached.add(t.target)
                todo.append(t.target)
    # states no transition names are set by the module itself (e.g. a brain task's derived status)
    named = {wf.initial} | {t.target for t in wf.transitions} | {s for t in wf.transitions for s in t.sources}
    if wf.initial in states:
        problems += [
            f"state {s!r} cannot be reached from {wf.initial!r}" for s in wf.states if s in named - reached
        ]
    return problems


def allowed(wf: Workflow, obj, actor) -> list[Transition]:
    """The transitions this actor may take on ``obj`` now (for rendering buttons); no guard is run."""
    p = as_principal(actor)
    state = getattr(obj, wf.state_field)
    out = []
    for t in wf.next_from(state):
        try:
            if t.may(p, obj):
                out.append(t)
        except Forbidden:
            continue
    return out


# ---------------------------------------------------------------------------
# Applying a transition
# ---------------------------------------------------------------------------


@dataclass
class Step:
    """What guards, effects and notices see of one transition. ``note`` is the timeline note (an effect may
    rewrite it); ``params`` the caller's extra arguments; ``outputs`` what an effect hands back."""

    workflow: Workflow
    transition: Transition
    obj: Any
    principal: Principal
    today: dt.date
    note: str
    params: dict[str, Any]
    source: str
    due_before: dt.date | None = None
    due: dt.date | None = None
    overdue: bool = False
    event: Any = None
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def user(self):
        return self.principal.user


def parse_version(value) -> int | None:
    """The lock version a form or client sent (a whole number), or None when it sent none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationFailed(
            "版本号无效，请刷新页面后重试", "lock_version is not a whole number", field="lock_version"
        ) from None


def _changed(wf: Workflow) -> Conflict:
    return Conflict(
        f"该{wf.noun_zh}已被他人处理，请刷新后重试", f"The {wf.noun_en} changed meanwhile; reload and retry"
    )


def _lock(wf: Workflow, obj):
    pk = getattr(obj, "pk", obj)
    # lock the record's own row only: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join
    qs = wf.model.objects.select_for_update(of=("self",))
    if wf.select_related:
        qs = qs.select_related(*wf.select_related)
    locked = qs.filter(pk=pk).first()
    if locked is None:
        raise NotFound(f"{wf.noun_zh}不存在", f"{wf.noun_en.capitalize()} not found")
    return locked


def _check_state(wf: Workflow, t: Transition, obj) -> str:
    state = getattr(obj, wf.state_field)
    if state not in t.sources:
        shown = getattr(obj, f"get_{wf.state_field}_display", lambda: state)()
        raise Conflict(
            f"当前状态「{shown}」不能{t.label_zh}",
            f"cannot {t.name} a {wf.noun_en} in status {state}",
            field=wf.state_field,
        )
    return state


def _clock(wf: Workflow, t: Transition, step: Step) -> dt.date | None:
    """The next stage's deadline; pausing keeps the working days left in ``paused_field``."""
    obj, today, before = step.obj, step.today, step.due_before
    if t.pauses_sla:
        left = workdays.workdays_between(today, before, estimate=True) if before else None
        setattr(obj, wf.paused_field, None if left is None else max(left, 0))
        return None
    if t.resumes_sla:
        left = getattr(obj, wf.paused_field)
        setattr(obj, wf.paused_field, None)
        return None if left is None else workdays.add_workdays(today, left, estimate=True)
    if t.sla_workdays is KEEP:
        return before
    days = t.sla_workdays(step) if callable(t.sla_workdays) else t.sla_workdays
    return None if days is None else workdays.add_workdays(today, days, estimate=True)


def _bump_version(wf: Workflow, obj) -> None:
    if not wf.version_field:
        return
    current = getattr(obj, wf.version_field)
    updated = wf.model.objects.filter(pk=obj.pk, **{wf.version_field: current}).update(
        **{wf.version_field: current + 1}
    )
    if updated != 1:  # SQLite has no row locks: the conditional update is the guard there
        raise _changed(wf)
    setattr(obj, wf.version_field, current + 1)


def apply(
    wf: Workflow,
    obj,
    transition: str,
    actor,
    *,
    expected_version: int | str | None = None,
    note: str = "",
    today: dt.date | None = None,
    **params,
) -> Step:
    """Move one record (an instance or its pk) along ``transition``; returns the :class:`Step` (``.obj`` is
    the saved record, ``.event`` the timeline row, ``.outputs`` what the effect handed back). Nothing is
    written when any check fails; notices go out after the commit."""
    t = wf.transition(transition)
    expected = parse_version(expected_version)
    p = as_principal(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(wf, obj)
        if not t.may(p, locked):
            raise Forbidden(t.forbidden_zh or wf.forbidden_zh, t.forbidden_en or wf.forbidden_en)
        if expected is not None and wf.version_field and getattr(locked, wf.version_field) != expected:
            raise _changed(wf)
        source = _check_state(wf, t, locked)
        before = getattr(locked, wf.due_field) if wf.due_field else None
        step = Step(wf, t, locked, p, today, note or "", params, source, due_before=before)
        step.overdue = bool(before and today > before and source not in wf.waiting)
        for guard in t.guards:
            guard(step)
        step.due = _clock(wf, t, step)
        if t.effect is not None:
            t.effect(step)
        _bump_version(wf, locked)
        setattr(locked, wf.state_field, t.target)
        if wf.due_field:
            setattr(locked, wf.due_field, step.due)
        locked.save()
        if wf.timeline is not None:
            step.event = wf.timeline.record(
                locked,
                source=source,
                target=t.target,
                actor=p.user,
                note=step.note,
                due=step.due,
                overdue=step.overdue,
                action=t.name,
            )
        if t.notify is not None:
            notify_on_commit(*t.notify(step))
    return step


def record_start(wf: Workflow, obj, actor, *, note: str = "", action: str = "create", **extra):
    """The first timeline row of a record just created in its initial state (from "" to its state, with its
    deadline); call it inside the transaction that creates the record."""
    return wf.timeline.record(
        obj,
        source="",
        target=getattr(obj, wf.state_field),
        actor=as_principal(actor).user,
        note=note,
        due=getattr(obj, wf.due_field) if wf.due_field else None,
        overdue=False,
        action=action,
        **extra,
    )


# ---------------------------------------------------------------------------
# Overdue escalation
# ---------------------------------------------------------------------------


def overdue(wf: Workflow, today: dt.date | None = None, queryset=None):
    """Records past their deadline (in a state that has one: not final, not a waiting period)."""
    if not wf.due_field:
        raise InvalidWorkflow(f"workflow {wf.name} has no due field")
    today = today or timezone.localdate()
    qs = wf.model.objects.all() if queryset is None else queryset
    skip = wf.final | wf.waiting
    return qs.filter(**{f"{wf.due_field}__lt": today}).exclude(**{f"{wf.state_field}__in": list(skip)})


def _escalation_key(wf: Workflow, obj) -> str:
    if wf.escalation.key is not None:
        return wf.escalation.key(obj)
    return f"{wf.name}:overdue:{obj.pk}:{getattr(obj, wf.due_field)}"


def escalate_overdue(wf: Workflow, *, today: dt.date | None = None, queryset=None) -> int:
    """Tell the declared recipients of every overdue record, once per record and deadline (the notices carry
    a dedupe key, so running it again sends nothing new). Each record in its own transaction; returns the
    number of notifications written. For a CLI verb or a scheduled job."""
    if wf.escalation is None:
        raise InvalidWorkflow(f"workflow {wf.name} declares no escalation")
    sent = 0
    candidates = overdue(wf, today, queryset)
    if wf.escalation.marker_field:
        candidates = candidates.filter(**{wf.escalation.marker_field: None})
    for obj in candidates:
        with transaction.atomic():
            locked = _lock(wf, obj)
            key = _escalation_key(wf, locked)
            for n in wf.escalation.notices(locked):
                sent += Notice(n.recipients, n.kind, n.title, n.body, n.url, key, n.link_roles).send()
            marker = wf.escalation.marker_field
            if marker and getattr(locked, marker) is None:
                wf.model.objects.filter(pk=locked.pk).update(**{marker: timezone.now()})
    return sent
