"""What to say and when: policy, drafting, checks, knowledge base, incidents, follow-ups.

The entry points the console and the command line use::

    from ecoute.responders import check_draft, draft_file
    findings = check_draft(text, platform="x", language="fr", category="complaint",
                           settings=settings)

and the service functions (keyword-only `session`) in `incident_service`, `followups`,
`private_reply` and `editing`. The pipeline step is `flows.draft_pending`.
"""

from .checks import Finding, check_draft
from .drafting import ClassificationView, CommentView, Drafter, TemplateProblem, templates_dir
from .editing import EditError, check_edit, save_edit
from .files import BadRow, DraftFileReport, DraftInputError, draft_file
from .followups import (
    FollowUpError,
    SatisfactionReport,
    parse_score,
    record_satisfaction,
    record_satisfaction_reply,
    resolve_case,
    satisfaction_report,
)
from .incident_service import (
    IncidentError,
    active_incidents,
    declare_incident,
    incident_reach,
    resolve_incident,
)
from .length import limit_for, weighted_length, x_weighted_length
from .private_reply import PrivateReplyError, draft_private_reply, private_reply_offered

__all__ = [
    "BadRow",
    "ClassificationView",
    "CommentView",
    "DraftFileReport",
    "DraftInputError",
    "Drafter",
    "EditError",
    "Finding",
    "FollowUpError",
    "IncidentError",
    "PrivateReplyError",
    "SatisfactionReport",
    "TemplateProblem",
    "active_incidents",
    "check_draft",
    "check_edit",
    "declare_incident",
    "draft_file",
    "draft_private_reply",
    "incident_reach",
    "limit_for",
    "parse_score",
    "private_reply_offered",
    "record_satisfaction",
    "record_satisfaction_reply",
    "resolve_case",
    "resolve_incident",
    "satisfaction_report",
    "save_edit",
    "templates_dir",
    "weighted_length",
    "x_weighted_length",
]
