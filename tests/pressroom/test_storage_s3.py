"""Media and press kits on S3-compatible storage: the settings switch to django-storages when a bucket is
named, and uploads, renditions, downloads and press kits go through a real S3 API (moto's server mode on
a loopback port)."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from moto.server import ThreadedMotoServer

from pressroom.newsroom.services import publish_release
from pressroom.press import services
from pressroom.press.models import Journalist, PressKit, PressList
from tests.factories import (
    AttachmentFactory,
    NewsroomFactory,
    ReleaseFactory,
    pdf_bytes,
    png_bytes,
    same_pixels,
)

BASE_DIR = Path(__file__).resolve().parents[2]
BUCKET = "pressroom-media"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": "testing-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def settings_under(env, tmp_path, *names):
    """NAMES as pressroom/settings.py computes them under ENV, in a fresh interpreter."""
    code = (
        "import json, sys; from django.conf import settings; "
        "print(json.dumps({n: getattr(settings, n) for n in sys.argv[1:]}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *names],
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "PYTHONPATH": str(BASE_DIR),
            "PRESSROOM_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "pressroom.settings",
            "DEBUG": "true",
            **env,
        },
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def s3_storages(s3_endpoint, tmp_path_factory):
    """STORAGES as the settings build them from the environment for our S3 server, with the bucket made."""
    env = {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "eu-north-1",
    }
    storages = settings_under({**env, **CREDENTIALS}, tmp_path_factory.mktemp("settings"), "STORAGES")[
        "STORAGES"
    ]
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-north-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    return storages, client


def bucket_keys(client):
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_without_a_bucket_media_stay_on_the_local_disk(tmp_path):
    storages = settings_under({}, tmp_path, "STORAGES")["STORAGES"]
    assert storages["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_bucket_switches_the_default_storage_to_s3(tmp_path):
    env = {"S3_BUCKET": "media", "AWS_S3_ENDPOINT_URL": "http://minio:9000", "AWS_ACCESS_KEY_ID_FILE": ""}
    (tmp_path / "secret").write_text("s3cret\n")
    env["AWS_SECRET_ACCESS_KEY_FILE"] = str(tmp_path / "secret")

    default = settings_under(env, tmp_path, "STORAGES")["STORAGES"]["default"]

    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "media"
    assert options["endpoint_url"] == "http://minio:9000"
    assert options["secret_key"] == "s3cret"
    assert options["access_key"] is None  # left to boto3's own lookup (environment, instance role)
    assert options["addressing_style"] == "path"
    assert options["file_overwrite"] is False
    assert options["location"] == "media"


@pytest.mark.integration
@pytest.mark.django_db
def test_uploads_downloads_and_press_kits_go_through_s3(
    s3_storages, client, django_capture_on_commit_callbacks
):
    storages, s3 = s3_storages
    with override_settings(
        STORAGES={
            **storages,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ):
        assert default_storage.__class__.__name__ == "S3Storage"
        NewsroomFactory()
        release = ReleaseFactory(language="en", title="On S3")
        image = AttachmentFactory(release=release)
        document = AttachmentFactory(release=release, pdf=True)

        keys = bucket_keys(s3)
        for name in [image.file.name, image.web.name, image.thumb.name, document.file.name]:
            assert f"media/{name}" in keys
        assert s3.get_object(Bucket=BUCKET, Key=f"media/{image.file.name}")["Body"].read() == png_bytes()

        with django_capture_on_commit_callbacks(execute=True):
            publish_release(release=release)

        response = client.get(image.get_absolute_url())
        assert response.status_code == 200
        # An image leaves as its "original" rendition: the same pixels, without its location.
        assert same_pixels(b"".join(response.streaming_content), png_bytes())
        response = client.get(document.get_absolute_url())
        assert b"".join(response.streaming_content) == pdf_bytes()
        assert client.get(f"/images/{image.pk}/thumb/").status_code == 200

        kit = PressKit.objects.get(release=release)
        assert f"media/{kit.file.name}" in bucket_keys(s3)
        response = client.get(f"/releases/{release.slug}/presskit.zip")
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert same_pixels(archive.read(f"{release.slug}/images/{image.filename}"), png_bytes())


@pytest.mark.integration
@pytest.mark.django_db
def test_embargoed_files_stream_from_s3(s3_storages, client, django_capture_on_commit_callbacks):
    storages, _s3 = s3_storages
    with override_settings(
        STORAGES={
            **storages,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ):
        NewsroomFactory()
        release = ReleaseFactory(scheduled=True, language="en")
        document = AttachmentFactory(release=release, pdf=True)
        press = PressList.objects.create(name="Press")
        press.members.add(Journalist.objects.create(name="Ola", email="ola@nrk.no"))
        with django_capture_on_commit_callbacks(execute=True):
            sent = services.send_presend(release=release, press_list=press)
        token = sent.recipients.get().token

        assert client.get(document.get_absolute_url()).status_code == 404
        response = client.get(f"/embargo/{token}/files/{document.pk}/{document.filename}")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf_bytes()
