"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json and shown at /api/v1/docs/.

Query parameters and request bodies are read from the forms the views validate with (formschema.py): a
field's type, choices, lengths, bounds, pattern and whether it is required come from the form, so a rule
changed there changes the document. The rest is written here next to the views: the paths, the responses
and their headers, the shapes of the representations (representations.py) and the rules that depend on
other data, in words and `x-` notes. Schemathesis checks the whole against the server
(tests/pressroom/api/test_api_schema.py, and `make api-check` against the running demo).
"""

from django.conf import settings
from django.shortcuts import render

from pressroom.newsroom.models import Attachment, Language, Release, VideoLink

from .editor import AttachmentApiForm, EditorFilterForm, ReleaseApiForm, required_on_create
from .formschema import field_schema, form_properties, required_fields
from .http import json_response
from .public import ReleaseFilterForm

API_VERSION = "1.0.0"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema):
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties, *, required=None, extra=False):
    """An object schema; every property is required unless REQUIRED says otherwise (responses)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": extra,
    }


def described(properties, **notes):
    """PROPERTIES (derived from a form) with descriptions and notes added by field name."""
    return {name: {**schema, **notes.get(name, {})} for name, schema in properties.items()}


STRING = {"type": "string"}
URL = {"type": "string", "format": "uri"}
DATETIME = {"type": "string", "format": "date-time"}
ID = {"type": "integer", "minimum": 1}
KINDS = [choice.value for choice in Release.Kind]
LANGUAGES = [choice.value for choice in Language]
STATUSES = [choice.value for choice in Release.Status]


# The newsroom's texts in one language; a text not translated is the main language's (profile.py).
PROFILE_TEXTS = {
    "name": STRING,
    "tagline": STRING,
    "about": {**STRING, "description": "Sanitized HTML."},
    "signup_text": {**STRING, "description": "Plain text; empty: the standard text."},
    "email_footer": {**STRING, "description": "Plain text."},
}

# The representations' shapes (representations.py). Every property is required and no other is allowed,
# so schemathesis's response checks fail on any drift.
SCHEMAS = {
    "Errors": obj(
        {
            "errors": {
                "type": "object",
                "description": 'Messages by field; "__all__" for the request as a whole.',
                "additionalProperties": {"type": "array", "items": STRING},
            }
        }
    ),
    "Topic": obj({"slug": STRING, "name": STRING, "language": {"type": "string", "enum": LANGUAGES}}),
    "TopicListItem": obj(
        {
            "slug": STRING,
            "name": STRING,
            "language": {"type": "string", "enum": LANGUAGES},
            "url": URL,
            "releases_url": URL,
            "feeds": obj({"rss": URL, "atom": URL}),
        }
    ),
    "Contact": obj(
        {
            "id": ID,
            "name": STRING,
            "role": {**STRING, "description": "The title in the release's language, else the main language."},
            "roles": {
                "type": "object",
                "description": "The title in each language (the main language's where it is not translated).",
                "additionalProperties": STRING,
            },
            "email": STRING,
            "phone": STRING,
            "photo_url": nullable(URL),
            "vcard_url": URL,
        }
    ),
    "EditorContact": obj(
        {
            "id": ID,
            "name": STRING,
            "role": {**STRING, "description": "The title in the release's language, else the main language."},
            "roles": {
                "type": "object",
                "description": "The title in each language (the main language's where it is not translated).",
                "additionalProperties": STRING,
            },
            "email": STRING,
            "phone": STRING,
            "photo_url": nullable(URL),
            "vcard_url": URL,
            "is_active": {"type": "boolean"},
            "order": {"type": "integer", "minimum": 0},
        }
    ),
    "Attachment": obj(
        {
            "id": ID,
            "kind": {"type": "string", "enum": [choice.value for choice in Attachment.Kind]},
            "filename": STRING,
            "title": STRING,
            "caption": STRING,
            "alt_text": STRING,
            "credit": STRING,
            "licence": STRING,
            "people_shown": {
                "type": "boolean",
                "description": "People can be recognised in it; their consent is recorded in the newsroom.",
            },
            "content_type": STRING,
            "size": {"type": "integer", "minimum": 0},
            "width": nullable({"type": "integer"}),
            "height": nullable({"type": "integer"}),
            "order": {"type": "integer", "minimum": 0},
            "url": {**URL, "description": "The download. For a draft's files it answers only to staff."},
            "renditions": obj(
                {"web": nullable(URL), "thumb": nullable(URL)},
            )
            | {
                "description": "Web (1600 px) and thumbnail (640 px) versions of an image, or of a video's "
                "poster; null otherwise."
            },
            "captions_url": nullable(
                {**URL, "description": "A video's captions (WebVTT); null for other files and until added."}
            ),
            "captions_language": nullable(
                {"type": "string", "enum": LANGUAGES, "description": "The language of a video's captions."}
            ),
            "poster_url": nullable(
                {**URL, "description": "A video's poster image (its web rendition); null without one."}
            ),
        }
    ),
    "VideoLink": obj(
        {
            "provider": {"type": "string", "enum": [choice.value for choice in VideoLink.Provider]},
            "video_id": STRING,
            "title": STRING,
            "order": {"type": "integer", "minimum": 0},
            "url": {**URL, "description": "The video's page at its provider."},
            "embed_url": {
                **URL,
                "description": "The provider's player: youtube-nocookie.com, or player.vimeo.com with "
                "dnt=1. The release page loads it only when the reader asks.",
            },
        }
    ),
    "Translation": obj(
        {
            "id": ID,
            "slug": STRING,
            "language": {"type": "string", "enum": LANGUAGES},
            "title": STRING,
            "url": URL,
            "api_url": URL,
        }
    ),
    "Release": obj(
        {
            "id": ID,
            "slug": STRING,
            "url": URL,
            "api_url": URL,
            "title": STRING,
            "kind": {"type": "string", "enum": KINDS},
            "language": {"type": "string", "enum": LANGUAGES},
            "translation_group": nullable(
                {
                    **ID,
                    "description": "The release's translation group: its versions in other languages "
                    "share it (at most one per language). Null: a release of its own.",
                }
            ),
            "lead": STRING,
            "body": {**STRING, "description": "Sanitized HTML."},
            "published_at": DATETIME,
            "updated_at": DATETIME,
            "topics": {"type": "array", "items": ref("Topic")},
            "attachments": {"type": "array", "items": ref("Attachment")},
            "video_links": {"type": "array", "items": ref("VideoLink")},
            "contacts": {"type": "array", "items": ref("Contact")},
            "translations": {
                "type": "array",
                "items": ref("Translation"),
                "description": "The public versions of the release in other languages.",
            },
        }
    ),
    "ReleasePage": obj(
        {
            "results": {"type": "array", "items": ref("Release")},
            "next": nullable({**URL, "description": "The next page, or null on the last one."}),
        }
    ),
    "TopicList": obj({"results": {"type": "array", "items": ref("TopicListItem")}}),
    "ContactList": obj({"results": {"type": "array", "items": ref("Contact")}}),
    "EditorTopicList": obj({"results": {"type": "array", "items": ref("Topic")}}),
    "EditorContactList": obj({"results": {"type": "array", "items": ref("EditorContact")}}),
    "Newsroom": obj(
        {
            "name": STRING,
            "tagline": STRING,
            "about": {**STRING, "description": "Sanitized HTML."},
            "logo_url": nullable(URL),
            "cover_url": nullable(URL),
            "accent_color": nullable(
                {"type": "string", "pattern": "^#[0-9a-f]{6}$", "description": "The brand's accent colour."}
            ),
            "website": STRING,
            "email": STRING,
            "phone": STRING,
            "default_language": {"type": "string", "enum": LANGUAGES},
            "url": {
                **URL,
                "description": "The pressroom at the root, in the installation's default language.",
            },
            "feeds": obj({"rss": URL, "atom": URL, "json": URL}),
            "pressrooms": {
                "type": "array",
                "description": "The pressroom of each language: its home page and feeds, with that "
                "language's releases only.",
                "items": obj(
                    {
                        "language": {"type": "string", "enum": LANGUAGES},
                        **PROFILE_TEXTS,
                        "url": URL,
                        "feeds": obj({"rss": URL, "atom": URL, "json": URL}),
                    }
                ),
            },
            "api": obj({"releases": URL, "topics": URL, "contacts": URL, "openapi": URL}),
        }
    ),
    "EditorRelease": obj(
        {
            "id": ID,
            "slug": STRING,
            "status": {"type": "string", "enum": STATUSES},
            "is_public": {"type": "boolean", "description": "Whether the public sees it now."},
            "url": URL,
            "preview_url": URL,
            "api_url": URL,
            "title": STRING,
            "kind": {"type": "string", "enum": KINDS},
            "language": {"type": "string", "enum": LANGUAGES},
            "lead": STRING,
            "body": STRING,
            "translation_group": nullable(
                {
                    **ID,
                    "description": "The release's translation group: its versions in other languages "
                    "share it (at most one per language). Null: a release of its own.",
                }
            ),
            "published_at": nullable(DATETIME),
            "first_published_at": nullable(DATETIME),
            "created_at": DATETIME,
            "updated_at": DATETIME,
            "topics": {"type": "array", "items": ref("Topic")},
            "contacts": {
                "type": "array",
                "items": obj({"id": ID, "name": STRING, "order": {"type": "integer", "minimum": 0}}),
            },
            "attachments": {"type": "array", "items": ref("Attachment")},
            "video_links": {"type": "array", "items": ref("VideoLink")},
        }
    ),
    "EditorReleasePage": obj(
        {"results": {"type": "array", "items": ref("EditorRelease")}, "next": nullable(URL)}
    ),
}


def input_schemas():
    """The request bodies, read from the forms as they are when the document is built."""
    schemas = {
        "ReleaseInput": obj(
            {
                **described(
                    form_properties(ReleaseApiForm),
                    slug={
                        "description": "Made from the title when empty. Fixed once the release has been "
                        "published."
                    },
                    body={"description": "HTML; sanitized on save (paragraphs, headings, lists, links)."},
                    translation_of={
                        "description": "A release this one is a version of: both end up in one "
                        "translation group (its group, made if it has none). It must be in another language "
                        "(400), and the group may have one version per language (409). Null takes the "
                        "release out of its group; left out, the release stays in its group.",
                        "x-must-differ-in": "language",
                    },
                ),
                # Set apart from the form, by slug and by id (editor.resolve_topics, editor.resolve_contacts).
                "topics": {
                    "type": "array",
                    "items": STRING,
                    "description": "Topic slugs; replaces the list. Each must name a topic (400).",
                },
                "contacts": {
                    "type": "array",
                    "items": ID,
                    "description": "Contact ids in the order to show them; replaces the list. Each must "
                    "name a contact (400).",
                },
            },
            required=[],
        ),
        "PublishInput": obj(
            {
                "at": nullable(
                    {
                        **DATETIME,
                        "description": "Schedule for this time (with a UTC offset). Leave out, or give a "
                        "time that has passed, to publish now.",
                    }
                )
            },
            required=[],
        ),
        "AttachmentUpload": obj(
            described(
                form_properties(AttachmentApiForm),
                alt_text={
                    "description": "Required, and not blank, when the file is an image (400 otherwise).",
                    "x-required-when": "the file is an image (JPEG, PNG, WebP or GIF)",
                },
                captions_language={
                    "description": "The language of a video's captions; empty: the release's."
                },
            ),
            required=required_fields(AttachmentApiForm),
        ),
    }
    schemas["ReleaseCreate"] = {**schemas["ReleaseInput"], "required": required_on_create()}
    return schemas


def error(description):
    return {"description": description, "content": {"application/json": {"schema": ref("Errors")}}}


RESPONSES = {
    "BadRequest": error("The request is not valid; `errors` says why, by field."),
    "Unauthorized": {
        **error("No token, or a token that is not valid or has been revoked."),
        "headers": {
            "WWW-Authenticate": {"required": True, "schema": {"type": "string", "pattern": "^Bearer"}}
        },
    },
    "Forbidden": error("The token's scope or its user's permissions do not allow this."),
    "NotFound": error("There is no such resource (for the public API: no such public release)."),
    "Conflict": error("The request conflicts with the release's state (taken or fixed address, published)."),
    "TooLarge": error("The upload or the request body is larger than the limit."),
    "UnsupportedMediaType": error("The body is not in the media type this endpoint takes."),
    "TooManyRequests": {
        **error("Too many writes with this token; wait for the number of seconds in Retry-After."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
    "NotModified": {
        "description": "The client's copy (If-None-Match / If-Modified-Since) is current.",
        "headers": {"ETag": {"schema": STRING}, "Last-Modified": {"schema": STRING}},
    },
    "MethodNotAllowed": {
        **error("The address does not take this method; `Allow` lists those it takes."),
        "headers": {"Allow": {"required": True, "schema": STRING}},
    },
    "PermanentRedirect": {
        "description": "The address without its final slash: the same address with it, query kept. "
        "308, so a client repeats the method and the body.",
        "headers": {"Location": {"required": True, "schema": STRING}},
    },
}

# Every path answers any method it does not list with 405 and `Allow`, and the path without its final
# slash with 308: OpenAPI has no place for either on an operation, so each path says so in `x-` notes.
PATH_NOTES = {
    "x-other-methods": {"status": 405, "response": {"$ref": "#/components/responses/MethodNotAllowed"}},
    "x-without-final-slash": {
        "status": 308,
        "response": {"$ref": "#/components/responses/PermanentRedirect"},
    },
}
PUBLIC_ERROR_HEADERS = {
    "Cache-Control": {"required": True, "schema": {"type": "string", "enum": ["no-store"]}}
}

CONDITIONAL_PARAMETERS = [
    {"name": "If-None-Match", "in": "header", "required": False, "schema": STRING},
    {"name": "If-Modified-Since", "in": "header", "required": False, "schema": STRING},
]


def response_ref(name):
    return {"$ref": f"#/components/responses/{name}"}


def public_get(summary, schema, *, description="", parameters=(), errors=()):
    responses = {
        "200": {
            "description": "OK",
            "headers": {
                "ETag": {"required": True, "schema": STRING},
                "Last-Modified": {
                    "schema": STRING,
                    "description": "When this address first served its current content (absent if the "
                    "cache is down).",
                },
                "Cache-Control": {
                    "required": True,
                    "schema": {"type": "string", "enum": ["public, max-age=60"]},
                },
                "Access-Control-Allow-Origin": {
                    "required": True,
                    "schema": {"type": "string", "enum": ["*"]},
                },
                "Access-Control-Expose-Headers": {"schema": STRING},
            },
            "content": {"application/json": {"schema": ref(schema)}},
        },
        "304": response_ref("NotModified"),
    }
    for status, name in errors:
        # Errors are in the client's language: never kept in a shared cache.
        responses[status] = {**RESPONSES[name], "headers": PUBLIC_ERROR_HEADERS}
    return {
        "tags": ["Public"],
        "summary": summary,
        "description": description,
        "parameters": [*parameters, *CONDITIONAL_PARAMETERS],
        "responses": responses,
        "security": [],
    }


def public_options(parameters=()):
    """The CORS preflight every public address answers."""
    headers = {
        name: {"required": True, "schema": STRING}
        for name in ("Allow", "Access-Control-Allow-Origin", "Access-Control-Allow-Methods")
    }
    return {
        "tags": ["Public"],
        "summary": "CORS preflight",
        "parameters": list(parameters),
        "responses": {
            "204": {"description": "The methods and headers a browser may use.", "headers": headers}
        },
        "security": [],
    }


def editor_operation(summary, *, ok, ok_status="200", description="", body=None, parameters=(), errors=()):
    responses = {ok_status: ok} if isinstance(ok, dict) else {ok_status: {"description": ok}}
    for status, name in [("401", "Unauthorized"), ("403", "Forbidden"), *errors]:
        responses[status] = response_ref(name)
    operation = {
        "tags": ["Editors"],
        "summary": summary,
        "description": description,
        "parameters": list(parameters),
        "responses": responses,
        "security": [{"token": []}],
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


def json_ok(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def json_body(schema, required=True):
    return {"required": required, "content": {"application/json": {"schema": ref(schema)}}}


def path_parameter(name, schema, description=""):
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def query_parameters(form_class):
    """The query parameters a filter form reads, described from its fields. Each may be left out but
    not sent empty or blank: an empty value is a 400, as for any invalid one (QueryForm)."""
    parameters = []
    for name, field in form_class.base_fields.items():
        schema = field_schema(field, not_blank=True)
        if schema["type"] == "string":
            schema["minLength"] = max(schema.get("minLength", 0), 1)
        parameters.append(
            {"name": name, "in": "query", "required": False, "schema": schema, "description": field.help_text}
        )
    return parameters


SLUG = path_parameter("slug", STRING, "The release's slug (its address).")
RELEASE_ID = path_parameter("id", ID, "The release's id.")
WRITE_ERRORS = [("400", "BadRequest"), ("404", "NotFound"), ("429", "TooManyRequests")]


def paths():
    """The operations, read when the document is built: the parameters come from the forms as they are."""
    return {
        "/releases/": {
            "get": public_get(
                "Published releases, newest first",
                "ReleasePage",
                description="Exactly the releases the public pages show. Follow `next` for older ones.",
                parameters=query_parameters(ReleaseFilterForm),
                errors=[("400", "BadRequest")],
            ),
            "options": public_options(),
        },
        "/releases/{slug}/": {
            "get": public_get(
                "One published release, with its full content",
                "Release",
                parameters=[SLUG],
                errors=[("404", "NotFound")],
            ),
            "options": public_options([SLUG]),
        },
        "/topics/": {
            "get": public_get("Topics that have published releases", "TopicList"),
            "options": public_options(),
        },
        "/contacts/": {"get": public_get("Press contacts", "ContactList"), "options": public_options()},
        "/newsroom/": {
            "get": public_get("The newsroom's profile, feeds and API addresses", "Newsroom"),
            "options": public_options(),
        },
        "/editor/releases/": {
            "get": editor_operation(
                "All releases, drafts and scheduled ones included, newest first",
                ok=json_ok("EditorReleasePage"),
                parameters=query_parameters(EditorFilterForm),
                errors=[("400", "BadRequest")],
            ),
            "post": editor_operation(
                "Create a draft",
                ok={
                    **json_ok("EditorRelease", "Created"),
                    "links": release_links("$response.body#/id"),
                    "headers": {
                        "Location": {"required": True, "schema": URL, "description": "The new release."}
                    },
                },
                ok_status="201",
                description="Needs a token with write scope whose user may add releases.",
                body=json_body("ReleaseCreate"),
                errors=[
                    *WRITE_ERRORS,
                    ("409", "Conflict"),
                    ("413", "TooLarge"),
                    ("415", "UnsupportedMediaType"),
                ],
            ),
        },
        "/editor/releases/{id}/": {
            "get": editor_operation(
                "One release, whatever its status",
                ok=json_ok("EditorRelease"),
                parameters=[RELEASE_ID],
                errors=[("404", "NotFound")],
            ),  # fmt: skip
            "patch": editor_operation(
                "Change a release",
                ok=json_ok("EditorRelease"),
                description="Only the fields sent change. Changing a published release notifies the "
                "webhooks.",
                parameters=[RELEASE_ID],
                body=json_body("ReleaseInput", required=False),
                errors=[
                    *WRITE_ERRORS,
                    ("409", "Conflict"),
                    ("413", "TooLarge"),
                    ("415", "UnsupportedMediaType"),
                ],
            ),
        },
        "/editor/releases/{id}/publish/": {
            "post": editor_operation(
                "Publish now, or schedule",
                ok=json_ok("EditorRelease"),
                description="Publishing a published release changes nothing. With `at`, the release is "
                "scheduled; a published release must be unpublished before it can be scheduled (409). "
                "Needs the publish permission (`newsroom.publish_release`, as does unpublishing); under the "
                "four-eyes rule a release not approved by someone other than its last editor is refused "
                "(409), as is a release with a video that has no captions.",
                parameters=[RELEASE_ID],
                body=json_body("PublishInput", required=False),
                errors=[
                    *WRITE_ERRORS,
                    ("409", "Conflict"),
                    ("413", "TooLarge"),
                    ("415", "UnsupportedMediaType"),
                ],
            )
        },
        "/editor/releases/{id}/unpublish/": {
            "post": editor_operation(
                "Unpublish: a draft again, hidden from the public; the address stays reserved",
                ok=json_ok("EditorRelease"),
                parameters=[RELEASE_ID],
                errors=WRITE_ERRORS,
            )
        },
        "/editor/releases/{id}/attachments/": {
            "post": editor_operation(
                "Upload an image or a document",
                ok={
                    "description": "Created",
                    "content": {"application/json": {"schema": ref("Attachment")}},
                    "links": {
                        "delete_attachment": {
                            "operationId": "delete_attachment",
                            "parameters": {"id": "$request.path.id", "attachment_id": "$response.body#/id"},
                        }
                    },
                },
                ok_status="201",
                description="Checked like an upload in the admin: type by content, size limit (videos, MP4 "
                "or WebM, have their own), alt text for images. A video may come with `captions` (WebVTT "
                "in UTF-8: the first line `WEBVTT`, at least one cue) and a `poster` image; only videos "
                "may. Captions are required for a video added to a published or scheduled release (400), "
                "and before a release with a video is published (409 from publish). Images get web and "
                "thumbnail renditions, videos those of their poster.",
                parameters=[RELEASE_ID],
                body={
                    "required": True,
                    "content": {"multipart/form-data": {"schema": ref("AttachmentUpload")}},
                },
                errors=[*WRITE_ERRORS, ("413", "TooLarge"), ("415", "UnsupportedMediaType")],
            )
        },
        "/editor/releases/{id}/attachments/{attachment_id}/": {
            "delete": editor_operation(
                "Remove an attachment",
                ok="Deleted",
                ok_status="204",
                parameters=[RELEASE_ID, path_parameter("attachment_id", ID, "The attachment's id.")],
                errors=WRITE_ERRORS,
            )
        },
        "/editor/topics/": {
            "get": editor_operation("All topics, to choose from by slug", ok=json_ok("EditorTopicList"))
        },
        "/editor/contacts/": {
            "get": editor_operation(
                "All press contacts, to choose from by id", ok=json_ok("EditorContactList")
            )
        },
    }


# Each operation's name, which generated clients use for their methods and links refer to.
OPERATION_IDS = {
    "/releases/": {"get": "list_releases", "options": "releases_preflight"},
    "/releases/{slug}/": {"get": "get_release", "options": "release_preflight"},
    "/topics/": {"get": "list_topics", "options": "topics_preflight"},
    "/contacts/": {"get": "list_contacts", "options": "contacts_preflight"},
    "/newsroom/": {"get": "get_newsroom", "options": "newsroom_preflight"},
    "/editor/releases/": {"get": "list_editor_releases", "post": "create_release"},
    "/editor/releases/{id}/": {"get": "get_editor_release", "patch": "update_release"},
    "/editor/releases/{id}/publish/": {"post": "publish_release"},
    "/editor/releases/{id}/unpublish/": {"post": "unpublish_release"},
    "/editor/releases/{id}/attachments/": {"post": "upload_attachment"},
    "/editor/releases/{id}/attachments/{attachment_id}/": {"delete": "delete_attachment"},
    "/editor/topics/": {"get": "list_editor_topics"},
    "/editor/contacts/": {"get": "list_editor_contacts"},
}


def release_links(id_expression):
    """What a client may do next with the release whose id ID_EXPRESSION names (OpenAPI links: clients
    and schemathesis's stateful phase follow them)."""
    names = [
        "get_editor_release",
        "update_release",
        "publish_release",
        "unpublish_release",
        "upload_attachment",
    ]
    return {name: {"operationId": name, "parameters": {"id": id_expression}} for name in names}


def named(path, operations):
    return {method: {"operationId": OPERATION_IDS[path][method], **op} for method, op in operations.items()}


def build_schema():
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pressroom API",
            "version": API_VERSION,
            "description": (
                "Read the published releases, topics, contacts and newsroom profile (public, CORS, "
                "ETag/Last-Modified), and write drafts, attachments and publication with a token "
                "(`Authorization: Bearer <token>`, created in the admin under API tokens)."
            ),
        },
        # Absolute, from SITE_URL: a client generated from a saved copy still knows where the API is.
        "servers": [{"url": f"{settings.SITE_URL}/api/v1"}],
        "tags": [
            {"name": "Public", "description": "No authentication. Exactly what the public pages show."},
            {
                "name": "Editors",
                "description": "A token with read or write scope; the user's permissions apply.",
            },
        ],
        "paths": {path: {**PATH_NOTES, **named(path, operations)} for path, operations in paths().items()},
        "components": {
            "schemas": {**SCHEMAS, **input_schemas()},
            "responses": RESPONSES,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def schema_view(request):
    response = json_response(build_schema())
    response["Access-Control-Allow-Origin"] = "*"
    return response


def docs_view(request):
    """The endpoints listed from the schema, server-rendered: no scripts, nothing from a CDN."""
    schema = build_schema()
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method.startswith("x-"):
                continue
            operations.append(
                {
                    "method": method.upper(),
                    "path": "/api/v1" + path,
                    "summary": operation["summary"],
                    "description": operation.get("description", ""),
                    "tag": operation["tags"][0],
                    "needs_token": bool(operation["security"]),
                    "parameters": [p for p in operation.get("parameters", []) if p["in"] != "header"],
                    "body": _body_fields(schema, operation.get("requestBody")),
                    "responses": sorted(operation["responses"]),
                }
            )
    return render(request, "api/docs.html", {"info": schema["info"], "operations": operations})


def _body_fields(schema, body):
    if not body:
        return []
    media_type, content = next(iter(body["content"].items()))
    name = content["schema"]["$ref"].rsplit("/", 1)[1]
    definition = schema["components"]["schemas"][name]
    return [
        {
            "name": field,
            "media_type": media_type,
            "required": field in definition["required"],
            "description": spec.get("description", ""),
        }
        for field, spec in definition["properties"].items()
    ]
