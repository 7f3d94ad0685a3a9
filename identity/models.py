"""People and their identity-gateway sessions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from identity.personal_codes import PersonalCodeMixin
from portal.crypto import decrypt_text, encrypt_text, secret_lookup


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self, *, country_code: str, personal_code: str, first_name: str = "", last_name: str = "", **extra: Any
    ) -> User:
        user = self.model(first_name=first_name, last_name=last_name, **extra)
        user.set_personal_code(country_code, personal_code)
        user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        """The first staff account: a username and password, no eID (``createsuperuser``)."""
        user = self.model(username=username, is_staff=True, is_superuser=True, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(PersonalCodeMixin, AbstractBaseUser, PermissionsMixin):
    """A person, identified by (country, national personal code) as proven by an eID.

    Names come from the eID result and are never typed. The personal code is stored only as a
    keyed hash (``pc_lookup``, unique) and an encrypted value. Staff created with
    ``createsuperuser`` have a username and password instead.
    """

    country_code = models.CharField(_("country"), max_length=2, blank=True)
    pc_lookup = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    personal_code_encrypted = models.TextField(blank=True, editable=False)
    username = models.CharField(_("username"), max_length=150, unique=True, null=True, blank=True)
    first_name = models.CharField(_("name"), max_length=150, blank=True)
    last_name = models.CharField(_("surname"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Raised by staff to end every session of the account (see _get_session_auth_hash).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username or f"user {self.pk}"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Every session stores this hash at login and is dropped when it no longer matches, so
        # raising the generation ends all of them, also for staff whose password stays the same.
        # Generation 0 keeps Django's own value, so existing sessions survive this code.
        if not self.session_generation:
            django_hash: str = super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]  # private in Django, absent from the stubs
            return django_hash
        return salted_hmac(
            "identity.User.session_generation",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class IdentitySessionManager(models.Manager["IdentitySession"]):
    def get_by_token(self, token: str) -> IdentitySession:
        """The session of this gateway token (found by its keyed hash; the token is kept encrypted)."""
        return self.get(token_lookup=secret_lookup(token))


class IdentitySession(models.Model):
    """One Identity Gateway session, bound to the browser session that started it.

    The gateway's session token is a capability: it is kept only here and in the server-side
    Django session, used at most once, and refused after ``IDENTITY_SESSION_TTL``.
    """

    class Purpose(models.TextChoices):
        LOGIN = "login", _("log in")
        REGISTER = "register", _("register")
        SIGNER = "signer", _("signer check")
        ADMIN = "admin", _("staff admin login")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("pending")
        AUTHENTICATED = "authenticated", _("authenticated")
        FAILED = "failed", _("failed")
        SUPERSEDED = "superseded", _("superseded")

    # The gateway token, encrypted; its keyed hash keeps it unique. Read and set through ``token``.
    token_encrypted = models.TextField(editable=False)
    token_lookup = models.CharField(max_length=64, unique=True, editable=False)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # Hash of the Django session key that created it; never the key itself.
    browser_session = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    error_code = models.IntegerField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Opaque reference for the signer flow (e.g. a signer link id); no personal data.
    reference = models.CharField(max_length=64, blank=True)
    # A verified eID result waiting for the registration details form, encrypted (it holds the
    # personal code); emptied once the account exists.
    result_encrypted = models.TextField(blank=True, editable=False)
    # Redirect flow only: SHA-256 of the per-flow secret carried in the return URL that Dokobit
    # sends the authenticating browser to. Completion needs it as well as the starting browser.
    return_secret = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    objects = IdentitySessionManager()

    class Meta:
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} session {self.pk} ({self.outcome})"

    @property
    def token(self) -> str:
        return decrypt_text(self.token_encrypted) if self.token_encrypted else ""

    @token.setter
    def token(self, token: str) -> None:
        self.token_encrypted = encrypt_text(token)
        self.token_lookup = secret_lookup(token)


class StaffSecondFactor(models.Model):
    """The authenticator-app key of a staff member who logs in with a password (T16).

    Set up on the server (``manage.py staff_totp_setup``), never in the browser: whoever holds
    only the password cannot enrol a phone of their own. The key is stored encrypted.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="second_factor")
    secret_encrypted = models.TextField()
    # The step of the last code accepted: a code is good once, even within its 30 seconds.
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")

    def __str__(self) -> str:
        return f"second factor of {self.user}"
