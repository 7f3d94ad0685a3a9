"""Upload and signer forms, plus the holding area that keeps an upload across a failed submit."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from identity.personal_codes import personal_code_lookup
from identity.validators import COUNTRY_CHOICES, validate_mobile_id_phone, validate_personal_code
from portal.storage import folder_listing
from signing.models import COMPANY_FIELD_MAX, Signing, SigningOrder, SigningPurpose
from signing.pdf import check_pdf, safe_filename
from signing.signers import DECLINE_REASON_MAX_LENGTH, DOKOBIT_PAGE_LANGUAGES, SignerData
from signing.trust_client import Annotation

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.http import HttpRequest


def max_upload_bytes() -> int:
    return int(settings.SIGNING_MAX_UPLOAD_BYTES)


def max_signers() -> int:
    return int(settings.SIGNING_MAX_SIGNERS)


def signer_limit_message() -> str:
    """The sentence that states the signer limit, wherever an upload names too many signers."""
    limit = max_signers()
    return ngettext("At most %(count)d signer is allowed.", "At most %(count)d signers are allowed.", limit) % {
        "count": limit
    }


# --- Holding area ------------------------------------------------------------------------------
# A file that passed its own checks is kept while another field of the form is corrected, so the
# user does not upload it again. Only an opaque id and the display name live in the session.

HOLDING_SESSION_KEY = "signing_upload_holding"
HOLDING_DIR = "upload-holding"


@dataclass(frozen=True)
class HeldUpload:
    id: str
    name: str

    @property
    def path(self) -> str:
        return f"{HOLDING_DIR}/{self.id}.pdf"


def holding_get(*, request: HttpRequest) -> HeldUpload | None:
    data = request.session.get(HOLDING_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    held = HeldUpload(id=str(data.get("id", "")), name=str(data.get("name", "")))
    # The id was written by the server, but a stale session must not point outside the area.
    if not held.id.replace("-", "").replace("_", "").isalnum() or not default_storage.exists(held.path):
        request.session.pop(HOLDING_SESSION_KEY, None)
        return None
    return held


def holding_put(*, request: HttpRequest, uploaded_file: UploadedFile) -> HeldUpload:
    holding_clear(request=request)
    held = HeldUpload(id=secrets.token_urlsafe(24), name=safe_filename(uploaded_file.name or "document.pdf"))
    uploaded_file.seek(0)
    default_storage.save(held.path, File(uploaded_file))
    uploaded_file.seek(0)
    request.session[HOLDING_SESSION_KEY] = {"id": held.id, "name": held.name}
    return held


def holding_open(*, held: HeldUpload) -> File[bytes]:
    """The kept file, open for reading under its display name (the caller closes it)."""
    return File(default_storage.open(held.path, "rb"), name=held.name)


def holding_clear(*, request: HttpRequest) -> None:
    data = request.session.pop(HOLDING_SESSION_KEY, None)
    if isinstance(data, dict) and data.get("id"):
        path = HeldUpload(id=str(data["id"]), name="").path
        if default_storage.exists(path):
            default_storage.delete(path)


def holding_purge_stale(*, now: datetime.datetime | None = None) -> int:
    """Delete kept uploads older than SIGNING_UPLOAD_HOLDING_HOURS; returns how many.

    A kept upload belongs to a form someone did not finish: nothing else ever deletes it, and it is
    a person's document. A session that still points at a purged one simply asks for the file again.
    """
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=settings.SIGNING_UPLOAD_HOLDING_HOURS)
    purged = 0
    for name in folder_listing(default_storage, HOLDING_DIR)[1]:
        path = f"{HOLDING_DIR}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            purged += 1
    return purged


# --- Forms -------------------------------------------------------------------------------------


class DocumentUploadForm(forms.Form):
    """The document and its title. The file may come from the holding area instead of the POST."""

    document = forms.FileField(
        label=_("Document"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    deadline = forms.DateField(
        label=_("Sign by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("After this day the signing is cancelled and you are told."),
    )
    signing_order = forms.ChoiceField(
        label=_("Signing order"),
        choices=SigningOrder.choices,
        initial=SigningOrder.PARALLEL,
        required=False,  # not posted (an older page, a script): everyone at once, as before
        help_text=_(
            "In order, each signer is invited when the one before has signed. In groups, everyone in "
            "group 1 is invited first, then group 2, and so on."
        ),
    )
    on_decline = forms.ChoiceField(
        label=_("If a signer declines"),
        choices=Signing.OnDecline.choices,
        initial=Signing.OnDecline.END,
        widget=forms.RadioSelect,
        # Not sent (an older page, a script): the default, "end the signing".
        required=False,
    )
    long_term = forms.BooleanField(
        label=_("Keep the signatures verifiable for years (long-term validity)"),
        required=False,
        help_text=_(
            "Signing certificates expire after a few years. With long-term validity the proof that each "
            "certificate was valid at signing time is added to the file, and once everyone has signed you "
            "can archive it with a time-stamp, so the signatures can still be checked long after that."
        ),
    )

    def __init__(self, *args: Any, held: HeldUpload | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held = held
        # Not required by the form (a kept file may stand in for it), but needed: no "(optional)" mark.
        self.fields["document"].needed = True  # type: ignore[attr-defined]  # an attribute of ours, read by the template
        self.fields["signing_order"].needed = True  # type: ignore[attr-defined]  # defaults to everyone at once
        limit_mb = max_upload_bytes() // (1024 * 1024)
        self.fields["document"].help_text = _("A PDF file, at most %(size)s MB.") % {"size": limit_mb}

    def clean_signing_order(self) -> str:
        return self.cleaned_data.get("signing_order") or SigningOrder.PARALLEL

    def clean_on_decline(self) -> str:
        return self.cleaned_data.get("on_decline") or Signing.OnDecline.END

    def clean_deadline(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("deadline")
        if day is None:
            return None
        if day <= timezone.localdate():
            raise ValidationError(_("Choose a day after today."), code="past")
        # The whole chosen day counts: the deadline is its end in the portal's time zone.
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))

    def clean_document(self) -> UploadedFile | None:
        uploaded: UploadedFile | None = self.cleaned_data.get("document")
        if not uploaded:
            if self.held is not None:
                return None
            raise ValidationError(_("Choose a PDF document to upload."), code="required")
        limit = max_upload_bytes()
        # An upload always knows its size (check_pdf measures a file that would not).
        if uploaded.size is not None and uploaded.size > limit:
            raise ValidationError(
                _("The file is too large: at most %(size)s MB is allowed.") % {"size": limit // (1024 * 1024)},
                code="too_large",
            )
        check_pdf(uploaded, name=uploaded.name or "", max_bytes=limit)
        uploaded.seek(0)
        return uploaded


class FileCheckForm(forms.Form):
    """A signed file from anywhere, to be checked and not kept."""

    file = forms.FileField(
        label=_("Signed file"),
        widget=forms.FileInput(attrs={"accept": ".pdf,.asice,.sce,.bdoc,.edoc,.adoc,application/pdf"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_mb = max_upload_bytes() // (1024 * 1024)
        self.fields["file"].help_text = _(
            "A signed PDF or a signature container (ASiC-E, BDOC, EDOC, ADOC), at most %(size)s MB."
        ) % {"size": limit_mb}
        self.fields["file"].error_messages["required"] = _("Choose a signed file to check.")

    def clean_file(self) -> UploadedFile:
        uploaded: UploadedFile = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if (uploaded.size or 0) > limit:
            raise ValidationError(
                _("The file is too large: at most %(size)s MB is allowed.") % {"size": limit // (1024 * 1024)},
                code="too_large",
            )
        return uploaded


class SealForm(forms.Form):
    """The e-seal a staff member puts on a completed document, optionally visible on a page."""

    name = forms.CharField(label=_("Seal name"), max_length=200, help_text=_("The organisation the seal stands for."))
    signing_purpose = forms.ChoiceField(
        label=_("Purpose"), choices=SigningPurpose.choices, initial=SigningPurpose.CONFIRMATION
    )
    visible = forms.BooleanField(label=_("Show the seal on a page"), required=False)
    page = forms.IntegerField(label=_("Page"), min_value=1, initial=1, required=False)
    text = forms.CharField(label=_("Text shown"), max_length=200, required=False)

    def annotation(self) -> Annotation | None:
        """The visible seal's box: bottom left of the chosen page, where signature boxes usually go."""
        if not self.cleaned_data.get("visible"):
            return None
        text = self.cleaned_data.get("text") or self.cleaned_data["name"]
        return Annotation(page=self.cleaned_data.get("page") or 1, top=700, left=40, width=220, height=60, text=text)


_COMPANY_FIELD: dict[str, Any] = {"max_length": COMPANY_FIELD_MAX, "required": False}
_GROUP_HELP = _("Only when signing in groups: group 1 signs first.")


class SignerForm(forms.Form):
    """One person asked to sign."""

    # "Name" beside "Surname" is the given name (Dokobit's wording) and is translated so; where
    # "Name" means the whole name (the signers table, the profile) it has the context "full name".
    first_name = forms.CharField(label=_("Name"), max_length=150)
    last_name = forms.CharField(label=_("Surname"), max_length=150)
    country_code = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES)
    personal_code = forms.CharField(label=_("Personal code"), max_length=20)
    # 254: what the database column and RFC 5321's path limit allow; longer fails the insert.
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    signing_purpose = forms.ChoiceField(
        label=_("Signing purpose"), choices=SigningPurpose.choices, initial=SigningPurpose.SIGNATURE
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        # signing-upload.js shows this note only while a language Dokobit's page lacks is chosen.
        help_text=_(
            "Dokobit's own signing page is not available in this language: this signer will see it "
            "in English. Our e-mails and pages stay in the language chosen here."
        ),
        widget=forms.Select(attrs={"data-dokobit-languages": " ".join(DOKOBIT_PAGE_LANGUAGES)}),
    )
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    # Signing on behalf of a company: sent to Dokobit and shown wherever the signer is.
    company = forms.CharField(label=_("Company"), **_COMPANY_FIELD)
    company_position = forms.CharField(label=_("Position"), **_COMPANY_FIELD)
    structural_subdivision = forms.CharField(label=_("Structural subdivision"), **_COMPANY_FIELD)
    order_group = forms.IntegerField(label=_("Group"), required=False, min_value=1, max_value=50, help_text=_GROUP_HELP)

    def clean_phone(self) -> str:
        return validate_mobile_id_phone(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        country, code = cleaned.get("country_code"), cleaned.get("personal_code")
        if country and code:
            try:
                normalized = validate_personal_code(country, code)
            except ValidationError as err:
                self.add_error("personal_code", err)
            else:
                if isinstance(normalized, str) and normalized:
                    cleaned["personal_code"] = normalized
        return cleaned

    def person_key(self) -> str | None:
        """(country, code) as the keyed hash the portal uses to tell people apart."""
        country, code = self.cleaned_data.get("country_code"), self.cleaned_data.get("personal_code")
        if not country or not code or self.has_error("personal_code"):
            return None
        return personal_code_lookup(country, code)

    def to_signer_data(self) -> SignerData:
        data = self.cleaned_data
        return SignerData(
            first_name=data["first_name"],
            last_name=data["last_name"],
            country_code=data["country_code"],
            personal_code=data["personal_code"],
            email=data["email"],
            signing_purpose=data["signing_purpose"],
            language=data["language"],
            phone=data.get("phone", ""),
            company=data.get("company", ""),
            company_position=data.get("company_position", ""),
            structural_subdivision=data.get("structural_subdivision", ""),
            order_group=data.get("order_group"),
        )


class BaseSignerFormSet(BaseFormSet[SignerForm]):
    """Signer rows: at least one, at most SIGNING_MAX_SIGNERS, nobody twice."""

    def clean(self) -> None:
        filled = [form for form in self.forms if form.has_changed() or not form.empty_permitted]
        if not filled and self.min_num:  # none needed only where the organisation seals instead
            raise ValidationError(_("Add at least one signer."), code="too_few")
        if len(filled) > max_signers():
            raise ValidationError(signer_limit_message(), code="too_many")
        seen: set[str] = set()
        for form in filled:
            # Duplicates are judged only on rows whose person fields are themselves valid.
            key = form.person_key()
            if key is None:
                continue
            if key in seen:
                form.add_error("personal_code", _("This person is already a signer of this document."))
            seen.add(key)

    def signer_data(self) -> list[SignerData]:
        return [form.to_signer_data() for form in self.forms if form.has_changed() or not form.empty_permitted]


# formset_factory returns a subclass of BaseSignerFormSet; the stubs only know it as a BaseFormSet.
SignerFormSet = cast(
    "type[BaseSignerFormSet]",
    formset_factory(
        SignerForm,
        formset=BaseSignerFormSet,
        extra=0,
        min_num=1,
        # The real limit is SIGNING_MAX_SIGNERS, checked in clean(); this only bounds the POST.
        max_num=200,
        absolute_max=200,
    ),
)


class SignerAddForm(SignerForm):
    """A signer added to an existing document: also refused if that person is already on it."""

    def __init__(self, *args: Any, existing_keys: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.existing_keys = existing_keys or set()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        key = self.person_key()
        if key is not None and key in self.existing_keys:
            self.add_error("personal_code", _("This person is already a signer of this document."))
        return cleaned


class DeclineForm(forms.Form):
    """A signer's reason for declining: required, so the owner learns why; plain text, shown escaped."""

    reason = forms.CharField(
        label=_("Why do you decline?"),
        max_length=DECLINE_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": DECLINE_REASON_MAX_LENGTH}),
        error_messages={"required": _("Please tell the sender why you decline.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Formatted per request, so the signer's language applies.
        self.fields["reason"].help_text = _("The sender of the document reads this. At most %(count)s characters.") % {
            "count": DECLINE_REASON_MAX_LENGTH
        }
