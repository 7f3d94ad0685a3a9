"""State of the emulated Identity Gateway: one row per authentication session."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import models
from django.utils import timezone

from dokobit_emulator.identity_people import TestIdentity, identities_for, person_payload

__all__ = ["FAILURE_MESSAGES", "SESSION_LIFETIME", "IdentityAuthSession"]

# Dokobit answers ``expires_in: 3600`` on create; after that the session is closed.
SESSION_LIFETIME = dt.timedelta(seconds=3600)
# The failures the emulator can simulate, with Dokobit's own (log-only) messages.
FAILURE_MESSAGES: dict[int, str] = {
    7023: "Signing canceled by user",
    6001: "User does not have a mobile signature",
    6005: "Signing session expired",
    6006: "User does not have Smart-ID account",
}
CANCELLED = 7023


class IdentityAuthSession(models.Model):
    """One Identity Gateway session, from create until its result has been read once."""

    class State(models.TextChoices):
        WAITING = "waiting"  # created, nobody has chosen an identity yet
        STARTED = "started"  # identity chosen, control code shown, waiting for the phone
        AUTHENTICATED = "authenticated"  # approved; the next status read returns the person
        FAILED = "failed"  # the next status read returns the failure code
        CLOSED = "closed"  # result delivered; every later read answers "Session closed"

    token = models.CharField(max_length=64, unique=True)
    origin_host = models.CharField(max_length=255, blank=True)
    return_url = models.CharField(max_length=2048, blank=True)
    code = models.CharField(max_length=32, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    authentication_methods = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    person_key = models.CharField(max_length=64, blank=True)
    control_code = models.CharField(max_length=4, blank=True)
    failure_code = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    authenticated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "dokobit_emulator"

    def __str__(self) -> str:
        return f"identity session {self.token[:8]}… ({self.state})"

    @classmethod
    def new_token(cls) -> str:
        return secrets.token_hex(32)

    @property
    def is_expired(self) -> bool:
        return timezone.now() - self.created_at > SESSION_LIFETIME

    @property
    def is_open(self) -> bool:
        """The person can still act on this session (choose, approve, fail)."""
        return self.state in (self.State.WAITING, self.State.STARTED) and not self.is_expired

    def people(self) -> tuple[list[TestIdentity], str]:
        """The identities this session offers and the one to preselect."""
        return identities_for(
            code=self.code, country_code=self.country_code, phone=self.phone, methods=self.authentication_methods
        )

    def person(self) -> TestIdentity | None:
        people, _ = self.people()
        return next((p for p in people if p.key == self.person_key), None)

    def _transition(self, from_states: list[str], **changes: Any) -> bool:
        # A conditional UPDATE, so two racing requests cannot both move the session on.
        moved = type(self).objects.filter(pk=self.pk, state__in=from_states).update(**changes)
        if moved:
            for field, value in changes.items():
                setattr(self, field, value)
        return bool(moved)

    def start(self, *, person_key: str) -> bool:
        """Choose the identity and issue a control code; False if closed or the identity is not offered."""
        people, _ = self.people()
        if not self.is_open or person_key not in {p.key for p in people}:
            return False
        control_code = f"{secrets.randbelow(10000):04d}"
        return self._transition(
            [self.State.WAITING, self.State.STARTED],
            state=self.State.STARTED,
            person_key=person_key,
            control_code=control_code,
        )

    def approve(self) -> bool:
        """The person confirmed on the phone; False unless an identity was chosen and the session is open."""
        if not self.is_open:
            return False
        return self._transition([self.State.STARTED], state=self.State.AUTHENTICATED, authenticated_at=timezone.now())

    def fail(self, *, code: int) -> bool:
        """End the session with one of :data:`FAILURE_MESSAGES`; False if the code is unknown or closed."""
        if code not in FAILURE_MESSAGES or not self.is_open:
            return False
        return self._transition([self.State.WAITING, self.State.STARTED], state=self.State.FAILED, failure_code=code)

    def read_status(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of Dokobit's status call. The result is delivered once, then 1005."""
        closed = 400, {"status": "error", "message": "Session closed", "code": 1005}
        if self.is_expired:
            return closed
        if self.state in (self.State.WAITING, self.State.STARTED):
            return 200, {"status": "waiting", "message": "Waiting for client authentication", "code": 1003}
        if self.state == self.State.AUTHENTICATED:
            person = self.person()
            if person is None or self.authenticated_at is None:
                return closed
            if not self._transition([self.State.AUTHENTICATED], state=self.State.CLOSED):
                return closed
            return 200, person_payload(person, session_token=self.token, authenticated_at=self.authenticated_at)
        if self.state == self.State.FAILED and self.failure_code is not None:
            code = self.failure_code
            if self._transition([self.State.FAILED], state=self.State.CLOSED):
                return 400, {"status": "error", "message": FAILURE_MESSAGES[code], "code": code}
        return closed
