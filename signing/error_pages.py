"""The portal's 400 page, worded by the signing app: only its upload form sends that many fields."""

from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template import loader

from signing.forms import signer_limit_message


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page, naming the signer limit when a form had too many fields.

    Only an upload naming too many signers sends that many fields, and Django refuses it before
    the form could say so. Rendered without the request, like Django's own: a refused request
    (a forged Host header, say) must not fail again in a context processor.
    """
    signer_limit = signer_limit_message() if isinstance(exception, TooManyFieldsSent) else ""
    return HttpResponseBadRequest(loader.render_to_string("400.html", {"signer_limit": signer_limit}))
