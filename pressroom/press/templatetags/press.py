"""Template tags for the pressroom pages: the upcoming releases box and a release's corrections."""

from django import template

from pressroom.press.models import Announcement, Correction

register = template.Library()


@register.inclusion_tag("pressroom/_upcoming_box.html")
def upcoming_box(limit=3):
    return {"announcements": list(Announcement.objects.upcoming().select_related("topic")[:limit])}


@register.inclusion_tag("pressroom/_corrections.html")
def release_corrections(release):
    return {"corrections": list(Correction.objects.filter(release=release).order_by("created_at", "pk"))}
