"""Acknowledging an alert from the signed link its message carries: no sign-in, nothing
changed by opening the link, a clear refusal for a forged or expired link, and the same
acknowledgement (and audit) as the console's own button."""

from __future__ import annotations

import re
import time
from pathlib import Path

import itsdangerous
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecoute.core.db import session_scope
from ecoute.core.keys import instance_secret_key
from ecoute.core.models import Alert, AuditEvent
from ecoute.monitor.alerts import ack_token
from ecoute.monitor.delivery import compose
from tests.console.test_casework import Team


@pytest.fixture
def team(tmp_path: Path) -> Team:
    team = Team(tmp_path)
    with session_scope(team.factory) as session:
        session.add(
            Alert(
                kind="spike",
                severity="critical",
                title="<b>Pic</b> de réclamations sur X",
                detail="42 réclamations en 10 minutes",
                dedup_key="spike:x",
                data={},
            )
        )
    return team


def settings_of(team: Team):  # type: ignore[no-untyped-def]
    return team.app.state.console.settings


def ack_path(team: Team) -> str:
    """The link exactly as the alert message carries it."""
    with session_scope(team.factory) as session:
        alert = session.get_one(Alert, 1)
        body = compose(
            alert,
            [],
            settings=settings_of(team),
            secret_key=instance_secret_key(settings_of(team)),
        )
    found = re.search(r"https?://[^/\s]+(/alerts/ack/\S+)", body)
    assert found, body
    return found.group(1)


def alert_state(team: Team) -> tuple[str, int | None, list[dict]]:
    with session_scope(team.factory) as session:
        alert = session.get_one(Alert, 1)
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "alert.acknowledge")
        ).all()
        return alert.status, alert.acknowledged_by_id, [e.after for e in events]


def test_opening_the_link_shows_the_alert_and_changes_nothing(team: Team) -> None:
    anonymous = TestClient(team.app)
    response = anonymous.get(ack_path(team), headers={"accept-language": "en-GB,en;q=0.8"})
    assert response.status_code == 200
    assert "&lt;b&gt;Pic&lt;/b&gt;" in response.text and 'id="ack-confirm"' in response.text
    assert "Seen it, stop reminders" in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in response.headers
    assert alert_state(team) == ("open", None, [])


def test_the_button_acknowledges_once_without_signing_in(team: Team) -> None:
    anonymous = TestClient(team.app)
    path = ack_path(team)
    first = anonymous.post(path, headers={"accept-language": "fr-FR"})
    assert first.status_code == 200 and 'id="ack-done"' in first.text
    assert "relances de cette alerte" in first.text
    again = anonymous.post(path)
    assert again.status_code == 200
    assert alert_state(team) == ("acknowledged", None, [{"status": "acknowledged", "via": "link"}])
    opened_later = anonymous.get(path).text
    assert 'id="ack-already"' in opened_later and 'id="ack-confirm"' not in opened_later


def test_a_forged_or_expired_link_is_refused_clearly(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    anonymous = TestClient(team.app)
    forged = ack_token("not the instance key", 1)
    for method in (anonymous.get, anonymous.post):
        response = method(f"/alerts/ack/{forged}")
        assert response.status_code == 400
        assert "not valid" in response.text and 'id="ack-error"' in response.text
    with monkeypatch.context() as patched:
        eight_days_ago = int(time.time()) - 8 * 24 * 3600
        patched.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda _s: eight_days_ago)
        expired = ack_token(instance_secret_key(settings_of(team)), 1)
    response = anonymous.post(f"/alerts/ack/{expired}")
    assert response.status_code == 400 and "expired" in response.text
    assert alert_state(team) == ("open", None, [])


def test_the_console_button_uses_the_same_acknowledgement(team: Team) -> None:
    client, csrf = team.client("nadia")
    page = client.get("/alerts/1")
    assert page.status_code == 200 and 'id="alert-1"' in page.text
    response = client.post("/alerts/1/acknowledge", data={"csrf_token": csrf, "back": "/alerts/1"})
    assert response.status_code == 200 and str(response.url).endswith("/alerts/1")
    status, by, audits = alert_state(team)
    assert (status, by, audits) == (
        "acknowledged",
        2,
        [{"status": "acknowledged", "via": "console"}],
    )
    # The link afterwards only says it was already seen.
    assert 'id="ack-already"' in TestClient(team.app).get(ack_path(team)).text
    assert TestClient(team.app).get("/alerts/1", follow_redirects=False).status_code == 303
