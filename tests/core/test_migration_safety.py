"""Migrations are safe on a live PostgreSQL (issue 14, item 3): no long lock on a table that already holds data.

The SQL each migration runs on PostgreSQL (what ``jinfu manage sqlmigrate`` prints) is read statement by
statement. A table the migration creates is empty, so anything on it is safe; on a table that exists
before the migration (organizations, profiles, score records, audit and access records grow with the city)
these are refused:

- ``CREATE INDEX`` without ``CONCURRENTLY`` (blocks writes while the index builds: use
  ``AddIndexConcurrently`` in a non-atomic migration);
- ``ADD CONSTRAINT`` (foreign key, unique, check) without ``NOT VALID`` (scans the table under a lock that
  blocks writes; add it ``NOT VALID`` and validate in a second step);
- ``ALTER COLUMN … TYPE`` (may rewrite the table) and ``ALTER COLUMN … SET NOT NULL`` (scans it under an
  exclusive lock);
- ``ADD COLUMN … DEFAULT f(…)`` (a volatile default rewrites the table; a constant one is instant on
  PostgreSQL ≥ 11);
- a data migration (``RunPython``, ``RunSQL``) unless it is listed in REVIEWED with how it bounds its work.

A new migration that breaks a rule fails here with the statement; after review (e.g. the table is known to
be small) it can be listed in REVIEWED with the reason, which docs/deployment.md asks the operator to read.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="reads the SQL PostgreSQL runs: the PostgreSQL pass of make test (JINFU_TEST_DATABASE_URL)",
)

#: (app, migration) → why its data migration or flagged statement is safe on a live database
REVIEWED = {
    ("core", "0005_redact_stored_import_diffs"): "rewrites the stored diffs of import jobs, a table of "
    "one row per import (hundreds, not millions), in one pass",
    ("policy", "0002_search_index"): "fills the search column of policy items, a table of a few hundred "
    "policies",
    ("core", "0011_import_job_kind_any_importer"): "widens import_job.kind varchar(32) → varchar(40): "
    "binary-coercible on PostgreSQL ≥ 9.2, no rewrite; and a table of one row per import",
    ("risk", "0006_case_office_organizations"): "indexes two new, empty columns of risk cases, a table of "
    "cases a regulator works by hand (thousands at most): the build takes milliseconds",
}

_CREATE_TABLE = re.compile(r'^CREATE TABLE "(\w+)"', re.I)
_TABLE = re.compile(
    r'^(?:ALTER TABLE|CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?"?\w+"? ON) "(\w+)"', re.I
)
RULES = [
    (re.compile(r"^CREATE (?:UNIQUE )?INDEX (?!CONCURRENTLY)", re.I), "CREATE INDEX without CONCURRENTLY"),
    (re.compile(r"\bADD CONSTRAINT\b(?!.*\bNOT VALID\b)", re.I), "ADD CONSTRAINT without NOT VALID"),
    (re.compile(r"\bALTER COLUMN \"?\w+\"? TYPE\b", re.I), "ALTER COLUMN … TYPE (may rewrite the table)"),
    (re.compile(r"\bALTER COLUMN \"?\w+\"? SET NOT NULL\b", re.I), "SET NOT NULL (scans under a lock)"),
    (re.compile(r"\bADD COLUMN .* DEFAULT [^']*\w+\(", re.I), "ADD COLUMN with a volatile default"),
]


def unsafe_statements(statements: list[str]) -> list[tuple[str, str]]:
    """(rule, statement) for each statement that would hold a long lock on a table that existed before."""
    created, out = set(), []
    for sql in (s.strip() for s in statements):
        if not sql or sql.startswith("--"):
            continue
        if m := _CREATE_TABLE.match(sql):
            created.add(m.group(1))
            continue
        table = _TABLE.match(sql)
        if table is None or table.group(1) in created:
            continue
        out += [(rule, sql) for pattern, rule in RULES if pattern.search(sql)]
    return out


def _ours() -> list:
    loader = MigrationLoader(connection)
    return loader, sorted(
        (key, m) for key, m in loader.disk_migrations.items() if m.__module__.startswith("jinfu.")
    )


def test_the_rules_catch_what_they_name():
    """Each rule on a statement about an existing table; none on the same statement for a new table."""
    bad = [
        'CREATE INDEX "i" ON "core_organization" ("name");',
        'ALTER TABLE "core_organization" ADD CONSTRAINT "f" FOREIGN KEY ("x") REFERENCES "t" ("id");',
        'ALTER TABLE "core_organization" ALTER COLUMN "name" TYPE text;',
        'ALTER TABLE "core_organization" ALTER COLUMN "name" SET NOT NULL;',
        'ALTER TABLE "core_organization" ADD COLUMN "at" timestamptz DEFAULT now() NOT NULL;',
    ]
    assert [rule for rule, _ in unsafe_statements(bad)] == [rule for _, rule in RULES]
    fine = [
        'CREATE INDEX CONCURRENTLY "i" ON "core_organization" ("name");',
        'ALTER TABLE "core_organization" ADD CONSTRAINT "f" FOREIGN KEY ("x") REFERENCES "t" ("id") NOT VALID;',
        'ALTER TABLE "core_organization" ADD COLUMN "tags" jsonb DEFAULT \'[]\'::jsonb NOT NULL;',
        'ALTER TABLE "core_organization" ADD COLUMN "seen" date NULL;',
        'CREATE TABLE "new_t" ("id" bigint NOT NULL PRIMARY KEY);',
        *[s.replace('"core_organization"', '"new_t"') for s in bad],
    ]
    assert unsafe_statements(fine) == []


@on_postgresql
def test_every_migration_is_safe_on_a_live_postgresql(db):
    loader, migrations = _ours()
    problems = []
    for key, migration in migrations:
        ops = {type(op).__name__ for op in migration.operations}
        if ops & {"RunPython", "RunSQL"} and key not in REVIEWED:
            problems.append(f"{key}: a data migration, not reviewed (REVIEWED: how it bounds its work)")
        sql = loader.collect_sql([(migration, False)])
        for rule, statement in unsafe_statements(sql):
            if key not in REVIEWED:
                problems.append(f"{key}: {rule}: {statement[:160]}")
    assert not problems, "\n".join(problems)


def test_reviewed_entries_name_real_migrations(db):
    _loader, migrations = _ours()
    assert set(REVIEWED) <= {key for key, _ in migrations}
