"""The demo mailbox. The test settings send mail to locmem, so these tests switch the backend on and
route /dev/mail/ through this module's URLconf, as pressroom.urls does when the backend is the demo's."""

import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import path, reverse

from pressroom.demo import devmail
from pressroom.urls import urlpatterns as site_patterns

urlpatterns = [
    path("dev/mail/", devmail.mailbox, name="devmail"),
    path("dev/mail/<str:message_id>/", devmail.message, name="devmail_message"),
    path("dev/mail/<str:message_id>/html/", devmail.message_html, name="devmail_html"),
    *site_patterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def mailbox_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "pressroom.demo.devmail.EmailBackend"
    settings.DEVMAIL_DIR = tmp_path / "mail"
    return settings.DEVMAIL_DIR


@pytest.fixture
def admin_client(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def send(subject="Bekreft abonnementet på pressemeldinger fra IMDi", html=True, to="kari@example.no"):
    message = EmailMultiAlternatives(
        subject,
        "Hei!\n\nBekreft her: http://testserver/subscribe/confirm/abc/\n",
        "IMDi <presse@example.no>",
        [to],
        headers={"List-Unsubscribe": "<http://testserver/u/x/>"},
    )
    if html:
        message.attach_alternative(
            '<p>Hei!</p><p><a href="http://testserver/subscribe/confirm/abc/">Bekreft</a></p>'
            "<script>alert(1)</script>",
            "text/html",
        )
    message.send()
    return sorted(p.stem for p in devmail.mail_dir().glob("*.eml"))[-1]


def test_backend_keeps_each_message_as_an_eml_file(mailbox_dir):
    sent = mail.get_connection().send_messages(
        [mail.EmailMessage("En", "a", to=["a@example.no"]), mail.EmailMessage("To", "b", to=["b@example.no"])]
    )

    files = sorted(mailbox_dir.glob("*.eml"))
    assert sent == 2
    assert len(files) == 2
    subjects = {re.search(rb"^Subject: (.*)$", f.read_bytes(), re.M).group(1) for f in files}
    assert subjects == {b"En", b"To"}


def test_mailbox_lists_messages_newest_first(admin_client):
    first = send(subject="Første")
    second = send(subject="Andre", to="ola@example.no")

    response = admin_client.get("/dev/mail/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Andre") < html.index("Første")
    assert f'<a href="/dev/mail/{second}/">Andre</a>' in html
    assert f'<a href="/dev/mail/{first}/">Første</a>' in html
    assert "ola@example.no" in html
    assert 'class="messagelist"' not in html


def test_empty_mailbox(admin_client):
    response = admin_client.get("/dev/mail/")

    assert response.status_code == 200
    assert "No messages yet." in response.content.decode()


def test_message_page_shows_headers_text_and_sandboxed_html(admin_client):
    message_id = send()

    response = admin_client.get(reverse("devmail_message", args=[message_id]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Bekreft abonnementet på pressemeldinger fra IMDi</h1>" in html
    assert '<th scope="row">List-Unsubscribe</th><td>&lt;http://testserver/u/x/&gt;</td>' in html
    assert (
        '<pre class="devmail-text">Hei!\n\nBekreft her: http://testserver/subscribe/confirm/abc/\n</pre>'
        in html
    )
    frame = re.search(r"<iframe[^>]*>", html).group(0)
    assert " sandbox " in frame
    assert f'src="/dev/mail/{message_id}/html/"' in frame
    assert "<script>alert(1)</script>" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_html_part_is_served_in_a_sandbox(admin_client):
    message_id = send()

    response = admin_client.get(reverse("devmail_html", args=[message_id]))

    assert response.status_code == 200
    assert response.content.decode().startswith("<p>Hei!</p>")
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_text_only_message_has_no_html_frame(admin_client):
    message_id = send(html=False)

    page = admin_client.get(reverse("devmail_message", args=[message_id]))

    assert "<iframe" not in page.content.decode()
    assert admin_client.get(reverse("devmail_html", args=[message_id])).status_code == 404


@pytest.mark.parametrize("message_id", ["nope", "..", "...", "%2e%2e%2fsecret"])
def test_unknown_or_crafted_ids_are_404(admin_client, mailbox_dir, message_id):
    send()
    (mailbox_dir.parent / "secret.eml").write_text("Subject: secret\n\nno")

    assert admin_client.get(f"/dev/mail/{message_id}/").status_code == 404
    assert admin_client.get(f"/dev/mail/{message_id}/html/").status_code == 404


def test_mailbox_is_for_staff_only(client, django_user_model):
    message_id = send()
    pages = ["/dev/mail/", f"/dev/mail/{message_id}/", f"/dev/mail/{message_id}/html/"]

    for page in pages:
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    client.force_login(django_user_model.objects.create_user("reader", password="pw-for-tests"))
    for page in pages:
        assert client.get(page).status_code == 302
