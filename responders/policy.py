"""What to do with a comment, given what it is: the craft rules as one decision.

- A threat gets no reply and an escalation, whatever its category.
- An insult gets no public argument: a hide suggestion under the moderation charter
  (or nothing, if the brand does not hide insults).
- A complaint gets a public reply with empathy and a private channel, with the contact
  details right there; on Facebook the CM is also offered a Messenger private reply.
  When an active incident matches it, the reply names the incident and admits it.
- A service question gets the answer from the knowledge base when one matches
  confidently, otherwise an offer to help in private.
- A general opinion that may hide a dissatisfaction is treated as a complaint ("when in
  doubt, option 1"); praise gets a short thank-you; neutral chatter gets nothing and goes
  to the public relations view.
- A comment in a language the brand does not answer goes to a person without a draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ecoute.core.domain import Action, Category, Flag, Platform

from .incidents import IncidentView, match_incident
from .knowledge import KnowledgeBase, KnowledgeMatch
from .lexicon import Lexicon
from .text import fold

# Template cases: one folder of variants per case and language in templates/replies/.
COMPLAINT = "complaint"
COMPLAINT_INCIDENT = "complaint_incident"
SERVICE_ANSWER = "service_answer"
SERVICE_PRIVATE = "service_private"
PRAISE = "praise"
PRIVATE_MESSAGE = "private_message"
FOLLOWUP = "followup"
INCIDENT_POST = "incident_post"
INCIDENT_RESOLVED_POST = "incident_resolved_post"


@dataclass(frozen=True, slots=True)
class Decision:
    """The action for one comment and, when something is written, which case to write."""

    action: Action
    category: Category
    reason: str
    case: str | None = None
    answer: KnowledgeMatch | None = None
    incident: IncidentView | None = None
    offer_private_reply: bool = False


def may_hide_dissatisfaction(
    probabilities: Mapping[str, float], folded: str, lexicon: Lexicon | None, threshold: float
) -> bool:
    """A vague opinion hides a complaint when the model hesitates or the words say so."""
    if probabilities.get(Category.COMPLAINT, 0.0) >= threshold:
        return True
    return lexicon is not None and lexicon.has("dissatisfaction", folded)


def is_praise(folded: str, lexicon: Lexicon | None) -> bool:
    return lexicon is not None and lexicon.has("praise", folded)


def decide(
    category: Category | str,
    flags: Iterable[Flag | str],
    probabilities: Mapping[str, float],
    *,
    text: str,
    language: str | None,
    platform: str,
    languages: Iterable[str],
    doubt_threshold: float,
    hide_insults: bool,
    lexicon: Lexicon | None = None,
    knowledge: KnowledgeBase | None = None,
    min_similarity: float = 0.5,
    incidents: Sequence[IncidentView] = (),
) -> Decision:
    """Choose the action for one classified comment (see the module docstring)."""
    category = Category(category)
    flag_set = {str(flag) for flag in flags}
    if Flag.THREAT in flag_set:
        return Decision(Action.ESCALATE, category, "threat: no reply, escalate to a person")
    if category == Category.INSULT:
        if hide_insults:
            return Decision(Action.HIDE, category, "insult: hide under the moderation charter")
        return Decision(Action.NONE, category, "insult: no public reply")
    folded = fold(text)
    if category == Category.GENERAL_OPINION and may_hide_dissatisfaction(
        probabilities, folded, lexicon, doubt_threshold
    ):
        category = Category.COMPLAINT
        promoted = True
    else:
        promoted = False
    if language not in set(languages):
        return Decision(
            Action.NONE, category, f"language {language!r} is not answered: a person reads it"
        )
    if category == Category.COMPLAINT:
        incident = match_incident(text, incidents)
        why = "opinion that may hide a dissatisfaction" if promoted else "complaint"
        return Decision(
            Action.REPLY,
            category,
            f"{why}: empathy first, then a private channel"
            + (f"; matches incident {incident.id}" if incident else ""),
            case=COMPLAINT_INCIDENT if incident else COMPLAINT,
            incident=incident,
            offer_private_reply=platform == Platform.FACEBOOK,
        )
    if category == Category.SERVICE_QUESTION:
        answer = knowledge.answer(text, language, min_similarity) if knowledge else None
        if answer is not None:
            return Decision(
                Action.REPLY,
                category,
                f"service question: answered from the knowledge base ({answer.entry.id}, "
                f"similarity {answer.score:.2f})",
                case=SERVICE_ANSWER,
                answer=answer,
            )
        return Decision(
            Action.REPLY,
            category,
            "service question: no confident answer, offer help in private",
            case=SERVICE_PRIVATE,
        )
    if is_praise(folded, lexicon):
        return Decision(Action.REPLY, category, "praise: a short thank-you", case=PRAISE)
    return Decision(Action.NONE, category, "general opinion: left to the public relations view")
