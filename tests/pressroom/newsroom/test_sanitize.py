import pytest

from pressroom.newsroom.models import Newsroom, Release
from pressroom.newsroom.richtext import sanitize_html


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Hei<script>alert(1)</script></p>", "<p>Hei</p>"),
        ('<p onclick="steal()" onmouseover="x()">Hei</p>', "<p>Hei</p>"),
        ('<img src="x" onerror="alert(1)">', ""),
        ('<p style="position:fixed;top:0">Hei</p>', "<p>Hei</p>"),
        ("<style>body{display:none}</style><p>Hei</p>", "<p>Hei</p>"),
        ('<a href="javascript:alert(1)">lenke</a>', '<a rel="noopener noreferrer">lenke</a>'),
        ('<a href="JaVaScRiPt:alert(1)">lenke</a>', '<a rel="noopener noreferrer">lenke</a>'),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">lenke</a>', '<a rel="noopener noreferrer">lenke</a>'),
        ('<iframe src="https://example.com"></iframe><p>Hei</p>', "<p>Hei</p>"),
        ('<object data="x.swf"></object><embed src="x.swf"><p>Hei</p>', "<p>Hei</p>"),
        ('<form action="/x"><input name="q"></form>', ""),
        ("<svg><script>alert(1)</script></svg>", ""),
        ("<!-- hemmelig --><p>Hei</p>", "<p>Hei</p>"),
        ('<p class="x" id="y" data-x="1">Hei</p>', "<p>Hei</p>"),
        ("<h1>Stor</h1>", "Stor"),
        ("<p></p>", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_unsafe_markup_is_removed(dirty, clean):
    assert sanitize_html(dirty) == clean


@pytest.mark.parametrize(
    "markup",
    [
        "<h2>Flere flyktninger går over til arbeid</h2>",
        "<h3>Underoverskrift</h3>",
        "<blockquote><p>– Det er positivt, sier direktøren.</p></blockquote>",
        "<ul><li>ivareta bosetting</li><li>arbeid</li></ul>",
        '<ol start="3"><li>tre</li></ol>',
        "<p><strong>Viktig</strong> og <em>understreket</em></p>",
        "<p>Linje<br>ny linje</p>",
    ],
)
def test_allowed_structure_is_kept(markup):
    assert sanitize_html(markup) == markup


@pytest.mark.parametrize(
    "href", ["https://www.imdi.no/tall", "http://example.no", "mailto:presse@example.no", "tel:+4740000000"]
)
def test_links_keep_safe_targets_and_get_rel(href):
    assert sanitize_html(f'<a href="{href}" target="_blank">lenke</a>') == (
        f'<a href="{href}" rel="noopener noreferrer">lenke</a>'
    )


def test_a_links_own_rel_is_replaced():
    assert sanitize_html('<a href="https://x.no" rel="opener">x</a>') == (
        '<a href="https://x.no" rel="noopener noreferrer">x</a>'
    )


def test_text_is_escaped_not_interpreted():
    assert sanitize_html("<p>1 &lt; 2 &amp; &lt;script&gt;</p>") == "<p>1 &lt; 2 &amp; &lt;script&gt;</p>"


@pytest.mark.django_db
def test_release_body_and_newsroom_about_are_sanitized_on_save():
    release = Release.objects.create(
        title="Hei",
        body='<h2 style="color:red">Tittel</h2><script>x()</script><a href="javascript:x()">a</a>',
    )
    newsroom = Newsroom(name="IMDi", about="<ul><li onclick='x()'>punkt</li></ul><iframe></iframe>")
    newsroom.save()

    assert Release.objects.get(pk=release.pk).body == '<h2>Tittel</h2><a rel="noopener noreferrer">a</a>'
    assert Newsroom.load().about == "<ul><li>punkt</li></ul>"


@pytest.mark.django_db
def test_saving_selected_fields_still_sanitizes():
    release = Release.objects.create(title="Hei", body="<p>ok</p>")
    release.body = "<p>ok</p><script>x()</script>"
    release.save(update_fields=["body"])

    assert Release.objects.get(pk=release.pk).body == "<p>ok</p>"


def test_rich_text_becomes_plain_text_with_paragraphs_apart():
    from pressroom.newsroom.richtext import to_text

    html = (
        "<p>Av de 11 400 &amp; flere.</p><h2>Flere går over til arbeid</h2><p>41 prosent "
        '<a href="https://example.no">gikk</a>.</p><blockquote><p>Det er positivt.</p></blockquote>'
        "<ul><li>en</li><li>to</li></ul><p>Slutt<br>linje</p>"
    )
    assert to_text(html) == (
        "Av de 11 400 & flere.\n\nFlere går over til arbeid\n\n41 prosent gikk <https://example.no>.\n\n"
        "Det er positivt.\n\n"
        "- en\n- to\n\nSlutt\nlinje"
    )
