"""The API under /api/v1/: the public read endpoints, the editors' endpoints, the schema and its docs."""

from django.http import HttpResponsePermanentRedirect
from django.urls import Resolver404, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt

from . import editor, openapi, public
from .http import error_response, not_found

app_name = "api"


@csrf_exempt  # it never writes; a POST to a wrong address deserves the JSON 404 too
def unknown(request, rest=""):
    """Any other address under the API: a JSON 404 like the API's own, or the address with its slash."""
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown:
            query = request.META.get("QUERY_STRING", "")
            # 308 rather than 301: clients repeat a POST or PATCH with its body.
            response = HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
            response.status_code = 308
            return response
    return error_response(404, not_found().errors)


urlpatterns = [
    path("openapi.json", openapi.schema_view, name="openapi"),
    path("docs/", openapi.docs_view, name="docs"),
    path("releases/", public.releases, name="releases"),
    path("releases/<str:slug>/", public.release, name="release"),
    path("topics/", public.topics, name="topics"),
    path("contacts/", public.contacts, name="contacts"),
    path("newsroom/", public.newsroom, name="newsroom"),
    path("editor/releases/", editor.releases, name="editor_releases"),
    path("editor/releases/<int:pk>/", editor.release, name="editor_release"),
    path("editor/releases/<int:pk>/publish/", editor.publish, name="editor_publish"),
    path("editor/releases/<int:pk>/unpublish/", editor.unpublish, name="editor_unpublish"),
    path("editor/releases/<int:pk>/attachments/", editor.attachments, name="editor_attachments"),
    path(
        "editor/releases/<int:pk>/attachments/<int:attachment_pk>/",
        editor.attachment,
        name="editor_attachment",
    ),
    path("editor/topics/", editor.topics, name="editor_topics"),
    path("editor/contacts/", editor.contacts, name="editor_contacts"),
    re_path(r"^(?P<rest>[\s\S]*)$", unknown),  # [\s\S]: a path may hold an encoded newline
]
