from django.conf import settings

from .models import Newsroom


def pressroom(request):
    return {"newsroom": Newsroom.load(), "SITE_URL": settings.SITE_URL}
