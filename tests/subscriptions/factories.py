"""Subscribers in each state, with a consent record like the one the sign-up form writes."""

import factory
from django.utils import timezone

from subscriptions.models import Subscriber


class SubscriberFactory(factory.django.DjangoModelFactory):
    """Active by default; `SubscriberFactory(pending=True)` or `(unsubscribed=True)` for the other states."""

    class Meta:
        model = Subscriber
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"abonnent{n}@example.no")
    status = Subscriber.Status.ACTIVE
    # English, so that tests read the source strings of pages and emails rendered in their language.
    language = "en"
    # The releases of their interface language, as the migration to release languages set them.
    norwegian = factory.LazyAttribute(lambda subscriber: subscriber.language != "en")
    english = factory.LazyAttribute(lambda subscriber: subscriber.language == "en")
    consent_at = factory.LazyFunction(timezone.now)
    consent_method = Subscriber.ConsentMethod.FORM
    consent_text_version = "1"
    consent_source = "/"
    confirmed_at = factory.LazyFunction(timezone.now)

    class Params:
        # Just signed up: the confirmation is owed (the task records when it went out).
        pending = factory.Trait(
            status=Subscriber.Status.PENDING, confirmed_at=None, confirmation_sent_at=None
        )
        unsubscribed = factory.Trait(
            status=Subscriber.Status.UNSUBSCRIBED,
            unsubscribed_at=factory.LazyFunction(timezone.now),
            unsubscribe_method=Subscriber.UnsubscribeMethod.PAGE,
        )

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.add(*extracted)
            self.all_topics = False
            self.save(update_fields=["all_topics"])
