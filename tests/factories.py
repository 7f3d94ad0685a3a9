"""factory_boy factories for rows a test needs as they are, without a service's side effects.

Rows that a test reaches through the portal's own paths (an uploaded document, a signing sent to
the gateway) are still made by the services (``tests/signing/conftest.py``); these build what a
service would only write as a side effect, e.g. a stored postback that failed, and the signers an
owner enters (``SignerData``) that a test hands to those services.
"""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from identity.models import User
from signing.models import SigningEvent
from signing.signers import SignerData


class UserFactory(DjangoModelFactory):
    """An eID account: the personal code is stored as the model stores it (keyed hash and encrypted)."""

    class Meta:
        model = User

    country_code = "LT"
    personal_code = "50001018865"
    first_name = "Mobile"
    last_name = "Tester"
    email = factory.LazyAttribute(lambda user: f"{user.first_name.lower()}@example.test")

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return model_class.objects.create_user(*args, **kwargs)


class SignerDataFactory(factory.Factory):
    """A signer as the owner enters it on the upload page: by default one Lithuanian signer in English."""

    class Meta:
        model = SignerData

    first_name = "Mobile"
    last_name = "Tester"
    country_code = "LT"
    personal_code = "50001018865"
    email = "signer@example.test"
    signing_purpose = "acknowledgement"
    language = "en"


class SigningEventFactory(DjangoModelFactory):
    """An event of a signing (by default a postback), on the signing's document."""

    class Meta:
        model = SigningEvent

    document = factory.SelfAttribute("signing.document")
    kind = SigningEvent.Kind.POSTBACK
    payload = factory.Dict({})
