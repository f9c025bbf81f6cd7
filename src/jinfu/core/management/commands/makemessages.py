"""makemessages without fuzzy matching: msgmerge's guesses ("系统" → "Organization") are worse than an
empty translation, which tests/test_i18n.py then reports."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
