"""Load the IMDi demo newsroom. Idempotent: rows are found by natural keys and never changed once there."""

import io
import textwrap
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from pressroom.newsroom import services
from pressroom.newsroom.models import (
    Attachment,
    Contact,
    ContactTranslation,
    Newsroom,
    NewsroomTranslation,
    Release,
    ReleaseContact,
    Topic,
)

NEWSROOM = {
    "name": "Integrerings- og mangfoldsdirektoratet (IMDi)",
    "tagline": "Pressemeldinger og nyheter om integrering, bosetting og mangfold",
    "website": "https://www.imdi.no",
    "email": "presse@example.no",
    "phone": "+47 400 00 000",
    "default_language": "nb",
    "about": (
        "<p>Integrerings- og mangfoldsdirektoratet (IMDi) er et fagdirektorat og kompetansesenter som skal "
        "bidra til å utvikle og iverksette regjeringens integreringspolitikk. IMDi skal</p>"
        "<ul>"
        "<li>ivareta arbeidet med bosetting av flyktninger</li>"
        "<li>legge til rette for at flere innvandrere deltar i arbeids- og samfunnsliv</li>"
        "<li>jobbe mot negativ sosial kontroll, tvangsekteskap og kjønnslemlestelse</li>"
        "<li>gi faglige innspill til videreutvikling av integreringspolitikken og sørge for god samordning "
        "på feltet</li>"
        "<li>produsere og formidle forskning, utredninger, statistikk og god praksis</li>"
        "<li>bidra til en profesjonell og serviceinnstilt offentlig sektor</li>"
        "<li>være fagmyndighet for tolking i offentlig sektor</li>"
        "</ul>"
    ),
}

# The profile in the other languages (NewsroomTranslation); the demo's sign-up box and email footer are
# the standard ones, so they are left blank.
NEWSROOM_TRANSLATIONS = {
    "nn": {
        "name": "Integrerings- og mangfaldsdirektoratet (IMDi)",
        "tagline": "Pressemeldingar og nyheiter om integrering, busetjing og mangfald",
        "about": (
            "<p>Integrerings- og mangfaldsdirektoratet (IMDi) er eit fagdirektorat og kompetansesenter som "
            "skal bidra til å utvikle og setje i verk integreringspolitikken til regjeringa. IMDi skal</p>"
            "<ul>"
            "<li>ta vare på arbeidet med busetjing av flyktningar</li>"
            "<li>leggje til rette for at fleire innvandrarar deltek i arbeids- og samfunnslivet</li>"
            "<li>arbeide mot negativ sosial kontroll, tvangsekteskap og kjønnslemlesting</li>"
            "<li>gi faglege innspel til vidareutvikling av integreringspolitikken og sørgje for god "
            "samordning på feltet</li>"
            "<li>produsere og formidle forsking, utgreiingar, statistikk og god praksis</li>"
            "<li>bidra til ein profesjonell og serviceinnstilt offentleg sektor</li>"
            "<li>vere fagstyresmakt for tolking i offentleg sektor</li>"
            "</ul>"
        ),
    },
    "en": {
        "name": "The Directorate of Integration and Diversity (IMDi)",
        "tagline": "Press releases and news about integration, the settlement of refugees and diversity",
        "about": (
            "<p>The Directorate of Integration and Diversity (IMDi) is a directorate and centre of expertise "
            "that helps develop and carry out the government's integration policy. IMDi</p>"
            "<ul>"
            "<li>works on the settlement of refugees in the municipalities</li>"
            "<li>helps more immigrants take part in working life and in society</li>"
            "<li>works against negative social control, forced marriage and female genital mutilation</li>"
            "<li>gives expert advice on integration policy and coordinates the work in the field</li>"
            "<li>produces and shares research, studies, statistics and good practice</li>"
            "<li>helps make the public sector professional and service-minded</li>"
            "<li>is the authority on interpreting in the public sector</li>"
            "</ul>"
        ),
    },
}

# (slug, name, language)
TOPICS = [
    ("integrering", "Integrering", "nb"),
    ("bosetting", "Bosetting", "nb"),
    ("arbeid-og-utdanning", "Arbeid og utdanning", "nb"),
    ("statistikk", "Statistikk", "nb"),
    ("introduksjonsprogrammet", "Introduksjonsprogrammet", "nb"),
    ("integration", "Integration", "en"),
    ("settlement", "Settlement of refugees", "en"),
    ("busetjing", "Busetjing", "nn"),
]

# Fictional people: the demo must not publish anyone's real phone number or address.
CONTACTS = [
    {"email": "kari.nordmann@example.no", "name": "Kari Nordmann", "role": "Kommunikasjonsrådgiver",
     "phone": "+47 400 00 001", "order": 1},
    {"email": "pressevakt@example.no", "name": "Ola Nordmann", "role": "Pressevakt",
     "phone": "+47 400 00 002", "order": 2},
    {"email": "statistikk@example.no", "name": "Eva Eksempel", "role": "Seniorrådgiver, statistikk",
     "phone": "+47 400 00 003", "order": 3},
]  # fmt: skip

# The contacts' titles in the other languages (ContactTranslation), by the contact's email.
CONTACT_TITLES = {
    "kari.nordmann@example.no": {"nn": "Kommunikasjonsrådgivar", "en": "Communications adviser"},
    "pressevakt@example.no": {"nn": "Pressevakt", "en": "Press officer on duty"},
    "statistikk@example.no": {"nn": "Seniorrådgivar, statistikk", "en": "Senior adviser, statistics"},
}

# The seed release, as IMDi published it.
SEED_SLUG = "flere-flyktninger-over-til-arbeid-etter-endt-introduksjonsprogram"
SEED_TITLE = "Flere flyktninger over til arbeid etter endt introduksjonsprogram"
SEED_LEAD = (
    "Av de 11 400 flyktninger som avsluttet introduksjonsprogram i 2023, gikk om lag halvparten direkte "
    "over til arbeid eller utdanning etter avsluttet program. Fordrevne fra Ukraina utgjør den største "
    "gruppen. Det er mange flere som har avsluttet introduksjonsprogrammet i 2023 sammenlignet med 2022, da "
    "det var i underkant av 3 000 deltakere som avsluttet programmet."
)
SEED_BODY = (
    "<h2>Flere flyktninger går over til arbeid</h2>"
    "<p>41 prosent av alle flykninger gikk til arbeid direkte etter avsluttet introduksjonsprogram i 2023. "
    "Det er en økning på 17 prosentpoeng sammenlignet med 2022. Økningen kan forklares med at fordrevne fra "
    "Ukraina primært har overgang til arbeid etter avsluttet program, og at majoriteten har et høyt "
    "utdanningsnivå ved ankomst til Norge.</p>"
    "<blockquote><p>– Det er positivt at en høy andel av deltakerne i introduksjonsprogrammet går direkte ut "
    "i arbeid etter avsluttet introduksjonsprogram. Samtidig må vi ha høye ambisjoner og fortsette det "
    "viktige arbeidet i kommunene slik at enda flere kommer ut i arbeid, sier direktør i IMDi Libe "
    "Rieber-Mohn.</p></blockquote>"
    "<h2>Flere fordrevne fra Ukraina som avsluttet program i 2023</h2>"
    "<p>I 2023 er det første året hvor et høyt antall fordrevne fra Ukraina avslutter "
    "introduksjonsprogrammet, med om lag 9 100 personer, mot bare 130 personer i 2022.</p>"
    "<p>Fordrevne fra Ukraina skiller seg ut ved at svært mange går direkte i arbeid og færre som går over "
    "til utdanning. Blant fordrevne fra Ukraina som avsluttet programmet gikk 45 prosent direkte over til "
    "arbeid, mens 3 prosent hadde overgang til utdanning. For øvrige deltakere var andelen overgang til "
    "arbeid på 23 prosent, mens 28 prosent av deltakerne gikk over til utdanning.</p>"
    "<h2>Fylkene med best resultater</h2>"
    "<p>Troms og Finnmark, Nordland og Trøndelag hadde de beste resultatene i 2023, ved høyest andel "
    "deltakere som gikk over i arbeid og/eller utdanning etter avsluttet program. Dette sammenfaller med "
    "fylkene med laveste gjennomsnittlige ledighet i 2023.</p>"
    "<p>Fylkene med høy ledighet (Vestfold og Telemark og Viken) har flere deltakere med overgang til "
    "videregående utdanning i 2023, og samlet måloppnåelse i disse fylkene er noe høyere som følge av "
    "dette.</p>"
    "<p>Nye tall for 2023 publiseres her 24. juni</p>"
)
REPORT_TITLE = "Rapport: Resultater introduksjonsprogrammet 2023"
SEED_EN_SLUG = "more-refugees-move-into-work-after-the-introduction-programme"
CHART_ALT = (
    "Stolpediagram over andelen deltakere som gikk over til arbeid eller utdanning etter "
    "introduksjonsprogrammet i 2023. Troms og Finnmark, Nordland og Trøndelag har de høyeste stolpene."
)

CHART_ALT_EN = (
    "Bar chart of the share of participants who went into work or education after the introduction "
    "programme in 2023. Troms og Finnmark, Nordland and Trøndelag have the highest bars."
)


# Fictional demo subscribers (example.no is reserved): email, language, frequency, topic slugs (none = all).
SUBSCRIBERS = [
    ("kari.nordmann@example.no", "nb", "immediately", []),
    ("ola.nordmann@example.no", "nb", "immediately", ["statistikk"]),
    ("journalist@avis.example.no", "nb", "immediately", []),
    ("reporter@example.no", "en", "immediately", []),
    ("leder@kommune.example.no", "nb", "daily", []),
]


@dataclass
class DemoRelease:
    slug: str
    title: str
    lead: str
    body: str
    days_ago: float
    topics: list = field(default_factory=list)
    kind: str = Release.Kind.PRESS_RELEASE
    language: str = "nb"
    version_of: str = ""  # the slug of a release (earlier in RELEASES) this one is a version of
    status: str = Release.Status.PUBLISHED
    image: tuple | None = None  # (colour, alt text) of a generated picture
    contacts: list = field(default_factory=lambda: ["kari.nordmann@example.no"])


def _p(*paragraphs):
    return "".join(f"<p>{text}</p>" for text in paragraphs)


# Invented releases so that lists, topics, feeds and pagination have something to show. They state no
# figures and quote nobody: they must not be mistaken for what IMDi or its people said.
RELEASES = [
    DemoRelease(
        SEED_SLUG, SEED_TITLE, SEED_LEAD, SEED_BODY, days_ago=2,
        topics=["introduksjonsprogrammet", "arbeid-og-utdanning", "statistikk"],
        contacts=["kari.nordmann@example.no", "statistikk@example.no"],
    ),
    DemoRelease(
        SEED_EN_SLUG,
        "More refugees move into work after completing the introduction programme",
        "About half of the refugees who completed the introduction programme in 2023 went straight into work "
        "or education. Displaced persons from Ukraine are the largest group.",
        "<h2>More refugees go into work</h2>"
        + _p("The share of participants who went directly into work rose compared with 2022. The increase "
             "is explained by the many displaced persons from Ukraine, most of whom have a high level of "
             "education on arrival in Norway.",
             "This English summary is a translation of the Norwegian press release."),
        days_ago=1.9, topics=["integration"], language="en", version_of=SEED_SLUG,
    ),
    DemoRelease(
        "anmodning-om-bosetting-av-flyktninger-neste-ar",
        "Kommunene bes om å bosette flyktninger neste år",
        "IMDi har sendt anmodning til kommunene om bosetting av flyktninger for neste år. Kommunene får "
        "frist til å svare i løpet av høsten.",
        "<h2>Slik er anmodningen beregnet</h2>"
        + _p("Anmodningen tar utgangspunkt i anslag for hvor mange som vil trenge bosetting, og i "
             "kommunenes kapasitet og erfaring med bosetting.",
             "Kommunene kan lese mer om anmodningen og svarskjemaet på IMDis nettsider."),
        days_ago=6, topics=["bosetting"], image=("#1f5f8b", "Illustrasjon: hvite ringer på blå bakgrunn."),
        contacts=["pressevakt@example.no"],
    ),
    DemoRelease(
        "municipalities-asked-to-settle-refugees-next-year",
        "Municipalities asked to settle refugees next year",
        "IMDi has sent its request to the municipalities for the settlement of refugees next year.",
        _p("The request is based on estimates of how many people will need a home in a municipality, and on "
           "the municipalities' capacity and experience.",
           "This is an English summary of the Norwegian press release."),
        days_ago=5.9, topics=["settlement"], language="en",
        version_of="anmodning-om-bosetting-av-flyktninger-neste-ar",
    ),
    # The nynorsk version of the same release, so that the group has all three languages.
    DemoRelease(
        "kommunane-blir-bedne-om-a-busetje-flyktningar-neste-ar",
        "Kommunane blir bedne om å busetje flyktningar neste år",
        "IMDi har sendt oppmoding til kommunane om busetjing av flyktningar for neste år. Kommunane får "
        "frist til å svare i løpet av hausten.",
        "<h2>Slik er oppmodinga rekna ut</h2>"
        + _p("Oppmodinga tek utgangspunkt i overslag over kor mange som vil trenge busetjing, og i "
             "kapasiteten og erfaringa kommunane har med busetjing.",
             "Kommunane kan lese meir om oppmodinga og svarskjemaet på nettsidene til IMDi."),
        days_ago=5.95, topics=["busetjing"], language="nn",
        version_of="anmodning-om-bosetting-av-flyktninger-neste-ar", contacts=["pressevakt@example.no"],
    ),
    DemoRelease(
        "ny-veileder-for-bosetting-av-enslige-mindrearige",
        "Ny veileder for bosetting av enslige mindreårige",
        "En ny veileder skal gjøre det enklere for kommunene å planlegge bosetting av enslige mindreårige "
        "flyktninger.",
        "<h2>Hva veilederen inneholder</h2>"
        "<ul><li>Planlegging av botilbud</li><li>Samarbeid med skole og helsetjeneste</li>"
        "<li>Oppfølging etter fylte 18 år</li></ul>",
        days_ago=11, kind=Release.Kind.NEWS, topics=["bosetting"],
    ),
    DemoRelease(
        "tilskudd-til-integreringsarbeid-i-frivillige-organisasjoner",
        "Søk tilskudd til integreringsarbeid i frivillige organisasjoner",
        "Frivillige organisasjoner kan nå søke tilskudd til aktiviteter som bidrar til deltakelse og "
        "fellesskap.",
        _p("Tilskuddet skal bidra til at flere innvandrere deltar i arbeids- og samfunnslivet.",
           "Søknadsfristen og kriteriene står i utlysningen på IMDis nettsider."),
        days_ago=16, kind=Release.Kind.NEWS, topics=["integrering"],
    ),
    DemoRelease(
        "kommentar-til-tallene-om-introduksjonsprogrammet",
        "Kommentar til tallene om introduksjonsprogrammet",
        "IMDi kommenterer de nye tallene for deltakere som har avsluttet introduksjonsprogrammet.",
        _p("Tallene viser at kommunene gjør et viktig arbeid. IMDi vil fortsette å følge utviklingen tett "
           "sammen med kommunene."),
        days_ago=23, kind=Release.Kind.STATEMENT, topics=["introduksjonsprogrammet"],
        contacts=["pressevakt@example.no"],
    ),
    DemoRelease(
        "nytt-kurs-for-tolker-i-offentlig-sektor",
        "Nytt kurs for tolker i offentlig sektor",
        "Et nytt kurs skal styrke kvaliteten på tolking i møte med offentlige tjenester.",
        _p("God tolking er en forutsetning for likeverdige offentlige tjenester.",
           "Kurset er åpent for tolker som står i Nasjonalt tolkeregister."),
        days_ago=31, kind=Release.Kind.NEWS, topics=["integrering"],
        image=("#4f6f1d", "Illustrasjon: hvite ringer på grønn bakgrunn."),
    ),
    DemoRelease(
        "slik-gar-det-med-deltakerne-ett-ar-etter-programmet",
        "Slik går det med deltakerne ett år etter programmet",
        "Ny statistikk viser hva tidligere deltakere i introduksjonsprogrammet gjør ett år etter at de "
        "avsluttet.",
        "<h2>Om statistikken</h2>"
        + _p("Statistikken bygger på registerdata og publiseres årlig.",
             "Tallene kan brytes ned på fylke, kommune og kjønn i IMDis statistikkbank."),
        days_ago=40, kind=Release.Kind.NEWS, topics=["statistikk", "introduksjonsprogrammet"],
        contacts=["statistikk@example.no"],
    ),
    DemoRelease(
        "kvalifiseringstilbudet-i-kommunene-skal-styrkes",
        "Kvalifiseringstilbudet i kommunene skal styrkes",
        "IMDi lanserer nye ressurser for kommuner som vil gi deltakerne et mer arbeidsrettet program.",
        "<h2>Arbeidsrettede tiltak</h2>"
        + _p("Erfaring viser at tett samarbeid med arbeidsgivere gir flere deltakere fotfeste i "
             "arbeidslivet."),
        days_ago=48, topics=["introduksjonsprogrammet", "arbeid-og-utdanning"],
    ),
    DemoRelease(
        "imdi-pa-arendalsuka",
        "Møt IMDi på Arendalsuka",
        "IMDi deltar i flere debatter om integrering, arbeid og mangfold under Arendalsuka.",
        _p("Programmet med tid og sted for debattene ligger på IMDis nettsider."),
        days_ago=57, kind=Release.Kind.NEWS, topics=["integrering"],
        image=("#8a4b16", "Illustrasjon: hvite ringer på brun bakgrunn."),
    ),
    DemoRelease(
        "uttalelse-om-arbeidet-mot-negativ-sosial-kontroll",
        "Uttalelse om arbeidet mot negativ sosial kontroll",
        "IMDi understreker betydningen av et langsiktig arbeid mot negativ sosial kontroll og æresrelatert "
        "vold.",
        _p("Arbeidet krever samarbeid mellom skoler, barnevern, politi og frivillige organisasjoner."),
        days_ago=66, kind=Release.Kind.STATEMENT, topics=["integrering"],
        contacts=["pressevakt@example.no"],
    ),
    DemoRelease(
        "ny-rapport-om-utdanning-blant-flyktninger",
        "Ny rapport om utdanning blant flyktninger",
        "En ny rapport ser på hvilke veier til utdanning som fungerer for voksne flyktninger.",
        "<h2>Hovedfunn</h2>"
        "<ol><li>Fleksible opplegg gir bedre gjennomføring</li><li>Norskopplæring og fag bør gå side om "
        "side</li></ol>",
        days_ago=80, topics=["arbeid-og-utdanning", "statistikk"], contacts=["statistikk@example.no"],
    ),
    DemoRelease(
        "flere-kommuner-med-gode-resultater-for-bosetting",
        "Flere kommuner med gode resultater for bosetting",
        "Stadig flere kommuner bosetter flyktninger raskt etter at de har fått innvilget opphold.",
        _p("Rask bosetting gir en god start og gjør at kvalifiseringen kan begynne tidlig."),
        days_ago=95, kind=Release.Kind.NEWS, topics=["bosetting"],
    ),
    DemoRelease(
        "ny-nettside-for-kommunene",
        "Ny nettside samler veiledning for kommunene",
        "Kommunene finner nå veiledning om bosetting, introduksjonsprogram og tolking på ett sted.",
        _p("Nettsiden er laget i samarbeid med kommuner over hele landet."),
        days_ago=120, kind=Release.Kind.NEWS, topics=["integrering", "bosetting"],
    ),
    DemoRelease(
        "rekordmange-deltok-pa-fagsamling-om-integrering",
        "Rekordmange deltok på fagsamling om integrering",
        "Ansatte fra kommuner i hele landet møttes for å dele erfaringer fra integreringsarbeidet.",
        _p("Fagsamlingen tok for seg bosetting, kvalifisering og samarbeid med frivilligheten."),
        days_ago=150, kind=Release.Kind.NEWS, topics=["integrering"],
    ),
    DemoRelease(
        "nye-tall-for-introduksjonsprogrammet-publiseres",
        "Nye tall for introduksjonsprogrammet",
        "Oppdaterte tall for deltakere som har avsluttet introduksjonsprogrammet.",
        _p("Tallene publiseres på IMDis nettsider samme dag."),
        days_ago=-3, topics=["statistikk", "introduksjonsprogrammet"], status=Release.Status.SCHEDULED,
        contacts=["statistikk@example.no"],
    ),
    DemoRelease(
        "utkast-arsrapport-for-integreringsarbeidet",
        "Utkast: Årsrapport for integreringsarbeidet",
        "Et utkast som bare redaksjonen ser.",
        _p("Ikke ferdig."),
        days_ago=0, topics=["integrering"], status=Release.Status.DRAFT, contacts=[],
    ),
]  # fmt: skip


class Command(BaseCommand):
    help = (
        "Load the IMDi demo newsroom: profile, topics, press contacts, releases with images and a PDF. "
        "Safe to run again: what exists is left as it is."
    )

    def handle(self, *args, **options):
        names = ("newsroom", "topics", "contacts", "releases", "attachments", "subscribers")
        created = dict.fromkeys(names, 0)
        with transaction.atomic():
            if not Newsroom.objects.exists():
                Newsroom(**NEWSROOM).save()
                created["newsroom"] += 1
            newsroom = Newsroom.load()
            for language, texts in NEWSROOM_TRANSLATIONS.items():
                NewsroomTranslation.objects.get_or_create(
                    newsroom=newsroom, language=language, defaults=texts
                )
            topics = {}
            for slug, name, language in TOPICS:
                topics[slug], new = Topic.objects.get_or_create(
                    language=language, slug=slug, defaults={"name": name}
                )
                created["topics"] += new
            contacts = {}
            for data in CONTACTS:
                contacts[data["email"]], new = Contact.objects.get_or_create(
                    email=data["email"], defaults=data
                )
                created["contacts"] += new
                for language, role in CONTACT_TITLES.get(data["email"], {}).items():
                    ContactTranslation.objects.get_or_create(
                        contact=contacts[data["email"]], language=language, defaults={"role": role}
                    )
            now = timezone.now()
            for demo in RELEASES:
                release, new = self.release(demo, topics, contacts, now)
                created["releases"] += new
                created["attachments"] += self.attachments(demo, release)
            created["subscribers"] += self.subscribers(topics, now)

        self.stdout.write(self.style.SUCCESS("Demo newsroom loaded."))
        self.stdout.write(
            "Created now: "
            + ", ".join(f"{count} {name}" for name, count in created.items())
            + (" (nothing new: the demo was already there)" if not any(created.values()) else "")
        )
        by_status = {status.value: Release.objects.filter(status=status).count() for status in Release.Status}
        self.stdout.write(
            f"In the database: {Topic.objects.count()} topics, {Contact.objects.count()} contacts, "
            f"{Release.objects.count()} releases ("
            + ", ".join(f"{count} {value}" for value, count in by_status.items())
            + f"), {Attachment.objects.count()} attachments."
        )

    def subscribers(self, topics, now):
        """A few confirmed demo subscribers, so that publishing in the demo sends mail to /dev/mail/."""
        from subscriptions.models import Subscriber

        count = 0
        for email, language, frequency, topic_slugs in SUBSCRIBERS:
            subscriber, new = Subscriber.objects.get_or_create(
                email=email,
                defaults={
                    "status": Subscriber.Status.ACTIVE, "language": language, "frequency": frequency,
                    "norwegian": language != "en", "english": language == "en",
                    "all_topics": not topic_slugs, "confirmed_at": now, "consent_at": now,
                    "consent_method": Subscriber.ConsentMethod.ADMIN,
                    "consent_note": "Demo data (seed_demo).",
                },
            )  # fmt: skip
            if new and topic_slugs:
                subscriber.topics.set([topics[slug] for slug in topic_slugs])
            count += new
        return count

    def release(self, demo, topics, contacts, now):
        release = Release.objects.filter(slug=demo.slug).first()
        if release is not None:
            return release, False
        when = _at_nine(now - timedelta(days=demo.days_ago))
        release = Release.objects.create(
            slug=demo.slug,
            title=demo.title,
            lead=demo.lead,
            body=demo.body,
            kind=demo.kind,
            language=demo.language,
        )
        if demo.version_of:
            services.set_version_of(release=release, original=Release.objects.get(slug=demo.version_of))
            release.save(update_fields=["translation_group"])
        release.topics.set([topics[slug] for slug in demo.topics])
        for order, email in enumerate(demo.contacts):
            ReleaseContact.objects.create(release=release, contact=contacts[email], order=order)
        if demo.status == Release.Status.PUBLISHED:
            # Imported history, as if moved over from the old newsroom: it was published back then,
            # so it is marked published without the publish service, which would also start mailings.
            release.status = Release.Status.PUBLISHED
            release.published_at = release.first_published_at = when
            release.save(update_fields=["status", "published_at", "first_published_at"])
        elif demo.status == Release.Status.SCHEDULED:
            services.publish_release(release=release, at=when)
        return release, True

    def attachments(self, demo, release):
        """Add the demo's files to RELEASE unless it has them; return how many were added."""
        wanted = []
        if demo.slug == SEED_SLUG:
            wanted.append(
                {"title": "Overgang til arbeid og utdanning etter fylke, 2023", "alt_text": CHART_ALT,
                 "caption": "Andel deltakere i arbeid eller utdanning etter avsluttet introduksjonsprogram.",
                 "credit": "IMDi", "licence": "CC BY 4.0",
                 "file": ContentFile(chart_png(), name="overgang-arbeid-utdanning-2023.png")}
            )  # fmt: skip
            wanted.append(
                {"title": REPORT_TITLE, "credit": "IMDi", "licence": "CC BY 4.0",
                 "file": ContentFile(report_pdf(), name="resultater-introduksjonsprogrammet-2023.pdf")}
            )  # fmt: skip
        elif demo.slug == SEED_EN_SLUG:
            # The Norwegian release's chart, uploaded again: the media bank stores it once, for both.
            wanted.append(
                {"title": "Transition to work or education by county, 2023", "alt_text": CHART_ALT_EN,
                 "caption": "Share of participants in work or education after completing the introduction "
                            "programme.",
                 "credit": "IMDi", "licence": "CC BY 4.0",
                 "file": ContentFile(chart_png(), name="transition-work-education-2023.png")}
            )  # fmt: skip
        elif demo.image:
            colour, alt_text = demo.image
            wanted.append(
                {"title": demo.title, "alt_text": alt_text, "credit": "IMDi", "licence": "CC BY 4.0",
                 "file": ContentFile(picture_png(colour), name=f"{demo.slug[:60]}.png")}
            )  # fmt: skip
        added = 0
        for order, data in enumerate(wanted):
            if not release.attachments.filter(title=data["title"]).exists():
                Attachment.objects.create(release=release, order=order, **data)
                added += 1
        return added


def _at_nine(moment):
    """09:00 newsroom time on MOMENT's day: releases go out in the morning."""
    local = timezone.localtime(moment)
    return local.replace(hour=9, minute=0, second=0, microsecond=0)


def chart_font(size):
    """DejaVu Sans where the system has it (Pillow's built-in font has no æ, ø or å)."""
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def chart_png():
    """A bar chart of transition to work or education by county (illustrative bars, drawn with Pillow)."""
    width, height = 1600, 900
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    title_font, label_font = chart_font(44), chart_font(26)
    draw.text((80, 50), "Overgang til arbeid eller utdanning, 2023", fill="#1b2a3a", font=title_font)
    bars = [
        ("Troms og Finnmark", 0.71), ("Nordland", 0.69), ("Trøndelag", 0.67), ("Innlandet", 0.60),
        ("Vestland", 0.58), ("Rogaland", 0.56), ("Viken", 0.52), ("Vestfold og Telemark", 0.50),
    ]  # fmt: skip
    left, bottom, top = 120, height - 170, 170
    draw.line((left, top, left, bottom), fill="#333333", width=3)
    draw.line((left, bottom, width - 80, bottom), fill="#333333", width=3)
    slot = (width - 80 - left) / len(bars)
    for index, (label, share) in enumerate(bars):
        x0 = left + index * slot + slot * 0.18
        x1 = x0 + slot * 0.64
        y0 = bottom - (bottom - top) * share
        draw.rectangle((x0, y0, x1, bottom), fill="#1f5f8b" if index < 3 else "#8fb3cf")
        draw.text(
            ((x0 + x1) / 2, y0 - 12), f"{round(share * 100)} %", fill="#1b2a3a", font=label_font, anchor="md"
        )
        for line_number, line in enumerate(textwrap.wrap(label, 12)):
            draw.text(((x0 + x1) / 2, bottom + 20 + 32 * line_number), line, fill="#333333",
                      font=label_font, anchor="ma")  # fmt: skip
    draw.text((80, height - 60), "Illustrasjon til demo. Kilde: IMDi", fill="#666666", font=label_font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def picture_png(colour):
    """A plain illustration: soft shapes on a coloured background."""
    width, height = 1600, 900
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    for index in range(6):
        radius = 120 + index * 45
        cx, cy = 260 + index * 230, 300 + (index % 2) * 260
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline="white", width=6)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def report_pdf():
    """A small, valid one-page PDF with real text (Helvetica, WinAnsi so that æ, ø and å show)."""
    lines = [
        (18, REPORT_TITLE),
        (11, ""),
        (11, "Om lag halvparten av de 11 400 flyktningene som avsluttet introduksjonsprogram i 2023,"),
        (11, "gikk direkte over til arbeid eller utdanning."),
        (11, ""),
        (11, "41 prosent gikk direkte til arbeid, en økning på 17 prosentpoeng fra 2022."),
        (11, "Troms og Finnmark, Nordland og Trøndelag hadde de beste resultatene."),
        (11, ""),
        (9, "Demodokument for Pressroom. Kilde: IMDi."),
    ]
    return pdf_document(lines)


def pdf_document(lines):
    """A valid one-page PDF of LINES, (font size, text) pairs, in Helvetica with WinAnsi encoding (so
    that æ, ø and å show), with a correct cross-reference table. The demo and the tests use it."""
    text = ["BT", "72 770 Td"]
    for size, line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"/F1 {size} Tf 0 -22 Td ({escaped}) Tj")
    text.append("ET")
    stream = "\n".join(text).encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
