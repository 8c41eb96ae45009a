"""Domain vocabulary shared by every room: categories, platforms and statuses.

They are string enums so that the database, the CSV files and the templates all
hold the same plain words a community manager reads.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """What a comment is, as the labelling rubric defines it."""

    COMPLAINT = "complaint"
    SERVICE_QUESTION = "service_question"
    GENERAL_OPINION = "general_opinion"
    INSULT = "insult"


class Platform(StrEnum):
    """Where a comment was heard and where its reply goes back to."""

    X = "x"
    FACEBOOK = "facebook"
    REPLAY = "replay"


class Flag(StrEnum):
    """Signals found in a comment besides its category."""

    PROFANITY = "profanity"
    THREAT = "threat"
    DANGER = "danger"
    QUESTION = "question"


class CommentStatus(StrEnum):
    """How far a comment has gone through the pipeline; each step reads and writes it."""

    NEW = "new"
    CLASSIFIED = "classified"
    QUEUED = "queued"
    NO_ACTION = "no_action"
    RESOLVED = "resolved"


class Action(StrEnum):
    """What the responder proposes to do with a comment."""

    REPLY = "reply"
    PRIVATE_REPLY = "private_reply"
    HIDE = "hide"
    ESCALATE = "escalate"
    NONE = "none"


class DraftStatus(StrEnum):
    """The life of a draft: a person decides, the outbox publishes.

    `published` means carried out on the platform (reply posted, comment hidden);
    `done` closes a decision that sends nothing (an escalation handed over, a comment
    in another language read by a person).
    """

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    DONE = "done"
    FAILED = "failed"


class Role(StrEnum):
    """What a console user may do: agents propose, approvers publish, admins configure."""

    AGENT = "agent"
    APPROVER = "approver"
    ADMIN = "admin"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class SourceStatus(StrEnum):
    OK = "ok"
    FAILING = "failing"
    DISABLED = "disabled"
