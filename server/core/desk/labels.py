"""The French labels people read for the desk's codes: request states, trail actions, abstention reasons.

Each label is owned by its enum (``states.RequestState``, ``states.TrailAction``, ``answer.reasons.AbstainReason``);
this module is where templates (the ``state_label``, ``action_label`` and ``reason_label`` filters), exports and the
CLI read them. A value that is no member (a code written by a later version) reads as itself rather than failing.
"""

from __future__ import annotations

from server.core.answer.reasons import LABELS as REASON_LABELS
from server.core.desk.states import ACTION_LABELS, STATE_LABELS

__all__ = [
    "ACTION_LABELS",
    "REASON_LABELS",
    "STATE_LABELS",
    "action_label",
    "reason_label",
    "state_label",
]


# Keyed by the stored string (a member is equal to its value, but the type checker wants one key type).
_BY_CODE: dict[str, dict[str, str]] = {
    "state": {str(k): v for k, v in STATE_LABELS.items()},
    "action": {str(k): v for k, v in ACTION_LABELS.items()},
    "reason": {str(k): v for k, v in REASON_LABELS.items()},
}


def _label(kind: str, value: object) -> str:
    text = "" if value is None else str(value)
    return _BY_CODE[kind].get(text, text)


def state_label(value: object) -> str:
    """The label of a request state (``requests.state``)."""
    return _label("state", value)


def action_label(value: object) -> str:
    """The label of a trail action (``audit_events.action``)."""
    return _label("action", value)


def reason_label(value: object) -> str:
    """The label of an abstention reason (``abstain_reason``); empty for no reason."""
    return _label("reason", value)


FILTERS = {"state_label": state_label, "action_label": action_label, "reason_label": reason_label}
