import pytest

from pressroom.models import Release


@pytest.mark.django_db
def test_home_answers(client):
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_body_is_sanitized_on_save():
    release = Release.objects.create(title="Hei", body='<p onclick="x()">a<script>alert(1)</script></p>')
    assert release.body == "<p>a</p>"
