"""Exceptions raised by the matching engine."""

from __future__ import annotations


class DedupeError(Exception):
    """Base class of every error the engine raises on purpose."""


class DedupeInputError(DedupeError):
    """A user mistake (bad spec, missing column, duplicate id...).

    The message is one human sentence: the CLI prints it without a traceback.
    """
