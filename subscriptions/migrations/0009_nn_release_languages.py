from django.db import migrations, models


def from_language(apps, schema_editor):
    """Until now a subscriber got the releases of their one language: English, or Norwegian."""
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    Subscriber.objects.filter(language="en").update(norwegian=False, english=True)


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0008_delivery_claimed_during"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="norwegian",
            field=models.BooleanField(default=True, verbose_name="Norwegian releases"),
        ),
        migrations.AddField(
            model_name="subscriber",
            name="english",
            field=models.BooleanField(default=False, verbose_name="English releases"),
        ),
        migrations.RunPython(from_language, migrations.RunPython.noop),
    ]
