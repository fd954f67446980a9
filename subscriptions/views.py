"""The subscription flow. Every page reached from an email link shows a button on GET and acts on POST;
the RFC 8058 one-click unsubscribe POST is the only request that acts without one."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from pressroom.ops import ratelimit

from . import emails, languages, services, tokens
from .forms import PreferencesForm, SignUpForm
from .models import Subscriber

PRINTABLE_PATH = re.compile(r"[^\x21-\x7e]")


def source_of(request):
    """Where the visitor signed up: a path on this site, from the form's `source` field or the Referer."""
    for value in (request.POST.get("source", ""), request.META.get("HTTP_REFERER", "")):
        try:
            parts = urlsplit(value[:2000])
        except ValueError:
            continue
        same_site = parts.scheme in ("http", "https") and parts.netloc in (
            settings.SITE_HOST,
            request.get_host(),
        )
        relative = not parts.scheme and not parts.netloc and parts.path.startswith("/")
        if same_site or relative:
            # Only the path: a query string may hold a search or other personal detail.
            return PRINTABLE_PATH.sub("", parts.path)[:200]
    return ""


# No CSRF token: the sign-up box is on every public page, and a per-visitor token would make every
# page private and uncacheable (pressroom/newsroom/pagecache.py). A forged sign-up can do no more than anyone
# posting the form: ask for a confirmation email, under the same rate limits, honeypot and stamp; the
# address is added only when its owner confirms (double opt-in), and there is no session to fixate.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    if request.method != "POST":
        return render(request, "subscriptions/signup.html", {"form": SignUpForm()})
    ip_allowed, ip_left = ratelimit.attempt(
        "signup-ip",
        ratelimit.client_ip(request),
        limit=settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_IP,
        window=settings.SUBSCRIPTIONS_SIGNUP_IP_WINDOW,
    )
    form = SignUpForm(request.POST)
    if not ip_allowed:
        return too_many(request, form, ip_left)
    if form.looks_automated():
        # A bot gets the page a person gets, so it learns nothing about what tripped it.
        return check_inbox(request)
    if not form.is_valid():
        return render(request, "subscriptions/signup.html", {"form": form})
    email = form.cleaned_data["email"]
    address_allowed, address_left = ratelimit.attempt(
        "signup-address",
        email.lower(),
        limit=settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_ADDRESS,
        window=settings.SUBSCRIPTIONS_SIGNUP_ADDRESS_WINDOW,
    )
    if not address_allowed:
        return too_many(request, form, address_left)
    if not form.spend_stamp():
        # A form older than a day, or one already sent with this address (a replayed post, a second
        # press): a person presses once more on the same form with a new stamp.
        context = {"form": form.with_fresh_stamp(), "stamp_spent": True}
        return render(request, "subscriptions/signup.html", context)
    services.sign_up(
        email=email,
        language=form.cleaned_data["language"],
        releases=form.cleaned_data["releases"],
        topics=form.cleaned_data["topics"],
        frequency=form.cleaned_data["frequency"],
        source=source_of(request),
    )
    return check_inbox(request)


def check_inbox(request):
    """The one answer to every accepted sign-up: new, pending, active, unsubscribed or suppressed alike."""
    return render(request, "subscriptions/check_inbox.html")


def too_many(request, form, seconds_left):
    response = render(request, "subscriptions/signup.html", {"form": form, "too_many": True}, status=429)
    response["Retry-After"] = str(seconds_left)
    # Counted by the rate limit, which logs once per window; not a warning from django.request each time.
    response._has_been_logged = True
    return response


def link_problem(request, *, expired=False, left=False, status=400):
    context = {"expired": expired, "left": left}
    return render(request, "subscriptions/link_problem.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token):
    try:
        subscriber = tokens.read_token(token, tokens.CONFIRM)
    except tokens.ExpiredToken:
        return link_problem(request, expired=True)
    except tokens.InvalidToken:
        return link_problem(request)
    with translation.override(subscriber.language):
        if request.method == "POST":
            try:
                services.confirm_subscription(subscriber=subscriber)
            except services.CannotConfirm:
                return link_problem(request, left=True)
            context = {"manage_url": emails.manage_url(subscriber)}
            return render(request, "subscriptions/confirmed.html", context)
        if subscriber.status not in (Subscriber.Status.PENDING, Subscriber.Status.ACTIVE):
            return link_problem(request, left=True)
        context = {
            "subscriber": subscriber,
            "already": subscriber.status == Subscriber.Status.ACTIVE,
            "manage_url": emails.manage_url(subscriber),
        }
        return render(request, "subscriptions/confirm.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request, token):
    try:
        subscriber = tokens.read_token(token, tokens.MANAGE)
    except tokens.InvalidToken:
        return link_problem(request)
    with translation.override(subscriber.language):
        if request.method == "POST":
            action = request.POST.get("action", "")
            if action in ("unsubscribe", "resubscribe"):
                messages.add_message(request, *change_status(subscriber, action))
                return redirect(request.path)
            form = PreferencesForm(request.POST)
            if not form.is_valid():
                return render_manage(request, subscriber, form, status=400)
            services.update_preferences(subscriber=subscriber, **form.cleaned_data)
            messages.success(request, _("Your choices are saved."))
            return redirect(request.path)
        initial = {
            "language": subscriber.language,
            "releases": languages.chosen(norwegian=subscriber.norwegian, english=subscriber.english),
            "frequency": subscriber.frequency,
            "topics": [] if subscriber.all_topics else [topic.pk for topic in subscriber.topics.all()],
        }
        return render_manage(request, subscriber, PreferencesForm(initial=initial))


def change_status(subscriber, action):
    """Unsubscribe or resubscribe from the preferences page: the message level and text to show."""
    if action == "unsubscribe":
        services.unsubscribe(subscriber=subscriber, how=Subscriber.UnsubscribeMethod.PREFERENCES)
        return messages.SUCCESS, _("You are unsubscribed. You will get no more emails from us.")
    try:
        services.resubscribe(subscriber=subscriber)
    except services.UndoWindowClosed:
        return messages.ERROR, _("It has been too long since you unsubscribed: please sign up again.")
    return messages.SUCCESS, _("Welcome back: you are subscribed again.")


def render_manage(request, subscriber, form, status=200):
    context = {
        "form": form,
        "subscriber": subscriber,
        "can_resubscribe": services.can_resubscribe(subscriber),
    }
    return render(request, "subscriptions/manage.html", context, status=status)


def is_one_click(request):
    return request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    # Mail programs POST `List-Unsubscribe=One-Click` without cookies or a CSRF token (RFC 8058): the
    # unguessable token in the URL is the authorization. Every other request goes through CSRF checks.
    if is_one_click(request):
        subscriber = tokens.subscriber_for_opaque_token(token)
        if subscriber is None:
            return HttpResponse("Unknown unsubscribe link.\n", status=404, content_type="text/plain")
        services.unsubscribe(subscriber=subscriber, how=Subscriber.UnsubscribeMethod.ONE_CLICK)
        return HttpResponse("Unsubscribed.\n", content_type="text/plain")
    return unsubscribe_page(request, token)


@csrf_protect
def unsubscribe_page(request, token):
    subscriber = tokens.subscriber_for_opaque_token(token)
    if subscriber is None:
        return link_problem(request, status=404)
    if request.method == "POST":
        services.unsubscribe(subscriber=subscriber, how=Subscriber.UnsubscribeMethod.PAGE)
        subscriber.refresh_from_db()
    with translation.override(subscriber.language):
        return render(request, "subscriptions/unsubscribe.html", unsubscribe_context(subscriber, token))


def unsubscribe_context(subscriber, token):
    return {
        "subscriber": subscriber,
        "token": token,
        "unsubscribed": subscriber.status == Subscriber.Status.UNSUBSCRIBED,
        "can_undo": services.can_resubscribe(subscriber),
        "undo_deadline": services.undo_deadline(subscriber),
        "manage_url": emails.manage_url(subscriber),
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def undo(request, token):
    if request.method != "POST":
        return redirect("subscriptions:unsubscribe", token=token)
    subscriber = tokens.subscriber_for_opaque_token(token)
    if subscriber is None:
        return link_problem(request, status=404)
    with translation.override(subscriber.language):
        try:
            services.resubscribe(subscriber=subscriber)
        except services.UndoWindowClosed:
            context = unsubscribe_context(subscriber, token) | {"too_late": True}
            return render(request, "subscriptions/unsubscribe.html", context, status=400)
        context = {"manage_url": emails.manage_url(subscriber)}
        return render(request, "subscriptions/resubscribed.html", context)
