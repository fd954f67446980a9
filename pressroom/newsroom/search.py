"""Search over the releases: the same words found, in the same order, on PostgreSQL and on SQLite.

A release is indexed whenever it, one of its files or one of its press contacts is saved: its title,
lead and body as text (never markup), then its captions and contact names, weighted in that order and
stemmed in the release's language (Norwegian for bokmål and nynorsk, English for English, no stemming
for anything else).

- PostgreSQL keeps the stemmed words in the release table's `search_vector` column (a tsvector under a
  GIN index), made by `to_tsvector` with the language's text search configuration.
- SQLite keeps them in the FTS5 table `newsroom_release_fts`, stemmed here with the same Snowball
  stemmers, so that the demo and the tests find what production finds.

A query is read as words (letters and digits: operators, quotes, SQL and markup are separators, never
syntax), at most MAX_WORDS of them. "Quoted words" are a phrase, a leading minus excludes a word, and
the last word is also matched as a beginning, for search-as-you-type. Results always go through the
publication rule: callers pass `Release.objects.published()`.

The cost of a query does not grow with the archive: the index finds the matches, the newest CANDIDATES
of them are ranked (title over lead over body), and the count stops there too. PostgreSQL finds the
newest matches of a common word by walking the releases newest first, of a rare one through the index
then a sort; it chooses by its statistics, which can take a rare word for a common one (a word it has
never seen, two common words that seldom meet). A walk is therefore given WALK_MS, and when it takes
longer the index is read instead (newest_first()).

Typos: the words of every release are kept in SearchWord (under a trigram index on PostgreSQL). A query
that finds nothing has each unknown word replaced by the most similar known one, and the correction is
used only if it finds published releases, so that no word of a draft or an embargoed release is ever
suggested.
"""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, lru_cache
from itertools import chain

import snowballstemmer
from django.db import OperationalError, connection, transaction
from django.db.models import (
    BooleanField,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Prefetch,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length
from django.db.models.signals import post_delete, post_save
from django.utils.html import escape
from django.utils.safestring import mark_safe
from psycopg.errors import QueryCanceled

from . import pagecache
from .models import Attachment, Contact, Language, Release, ReleaseContact, SearchWord
from .text import plain_text, sanitized_text

log = logging.getLogger(__name__)

# Which text search configuration (PostgreSQL) and Snowball stemmer (SQLite) reads each language.
CONFIGS = {"nb": "norwegian", "nn": "norwegian", "en": "english"}
OTHER_CONFIG = "simple"
MAX_QUERY_LENGTH = 200
MAX_WORDS = 10
# A last word shorter than this is matched whole: "a*" would match most of the archive.
MIN_PREFIX = 3
MAX_COMPLETIONS = 30
COMPLETIONS_KEPT = 2000  # prefixes per process
# Matches ranked and counted per query: the newest this many. Twenty pages of results; beyond them the
# page says "more than 200" and the filters narrow the search. Ranking costs PostgreSQL about 10 µs a
# candidate (docs/performance.md), so this number sets what a common word costs.
CANDIDATES = 200
# How long PostgreSQL may walk the releases newest first for a search's matches before the index is read
# instead: a walk that finds its matches takes a few milliseconds.
WALK_MS = 50
FTS_TABLE = "newsroom_release_fts"
# Weights of title, lead, body and the rest (captions, contacts) in SQLite's bm25, in the proportions
# of PostgreSQL's ts_rank defaults for A, B, C and D.
BM25_WEIGHTS = (10.0, 4.0, 2.0, 1.0)
SIMILARITY = 0.3  # pg_trgm's default threshold for "similar"
SNIPPET_CHARS = 240  # about 35 words
SNIPPET_BEFORE = 80  # characters shown before the first word found

WORD = re.compile(r"[^\W_]+")
TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


def config_for(language):
    return CONFIGS.get(language, OTHER_CONFIG)


def configs():
    """{config: [languages]} for every language a release may have, and `simple` for the rest."""
    grouped = {}
    for code in {*Language.values, *CONFIGS}:
        grouped.setdefault(config_for(code), set()).add(code)
    grouped.setdefault(OTHER_CONFIG, set())
    return {name: sorted(codes) for name, codes in sorted(grouped.items())}


@cache
def stemmer(config):
    return None if config == OTHER_CONFIG else snowballstemmer.stemmer(config)


@lru_cache(maxsize=20_000)
def stem(word, config):
    found = stemmer(config)
    return found.stemWord(word) if found else word


def words(text):
    return [word.lower() for word in WORD.findall(text)]


# Queries


@dataclass(frozen=True)
class Term:
    words: tuple
    negated: bool = False
    phrase: bool = False
    prefix: bool = False
    # The known words that a one-word prefix stands for (see expand()).
    completions: tuple = ()


@dataclass
class Query:
    terms: list = field(default_factory=list)

    def __bool__(self):
        return any(not term.negated for term in self.terms)

    def __str__(self):
        parts = []
        for term in self.terms:
            text = " ".join(term.words)
            parts.append(("-" if term.negated else "") + (f'"{text}"' if term.phrase else text))
        return " ".join(parts)


def clean(text):
    """The query as the search reads it: no NUL characters, at most MAX_QUERY_LENGTH characters."""
    return (text or "").replace("\x00", " ")[:MAX_QUERY_LENGTH].strip()


def parse(text):
    terms, count = [], 0
    for match in TERM.finditer(clean(text)):
        quoted = match.group(2) is not None
        found = words(match.group(2) if quoted else match.group(4))[: MAX_WORDS - count]
        if not found:
            continue
        count += len(found)
        # A word written with a hyphen or an apostrophe ("covid-19") is read as a phrase, as PostgreSQL does.
        terms.append(Term(tuple(found), negated=bool(match.group(1) or match.group(3)), phrase=quoted))
        if count >= MAX_WORDS:
            break
    if terms and not terms[-1].negated and not terms[-1].phrase and len(terms[-1].words[-1]) >= MIN_PREFIX:
        last = terms[-1]
        terms[-1] = Term(last.words, prefix=True)
    return Query(terms)


def tsquery(terms):
    """TERMS in to_tsquery's syntax; every word is quoted, so nothing in it is an operator."""
    parts = []
    for term in terms:
        lexemes = [f"'{word}'" for word in term.words]
        if term.completions:
            lexemes = ["(" + " | ".join(f"'{word}'" for word in (*term.words, *term.completions)) + ")"]
        elif term.prefix:
            lexemes[-1] += ":*"
        expression = " <-> ".join(lexemes)
        parts.append(f"({expression})" if len(lexemes) > 1 else expression)
    return " & ".join(parts)


def fts5_query(terms, config):
    """TERMS in FTS5's syntax, stemmed for CONFIG; every stem is a quoted string."""

    def quoted(term):
        text = '"' + " ".join(stem(word, config) for word in term.words) + '"'
        return text + "*" if term.prefix else text

    return "(" + " AND ".join(quoted(term) for term in terms) + ")"


def configs_for(language):
    """The configurations that may have indexed a release in LANGUAGE, or (None) in any language."""
    return [config_for(language)] if language else list(configs())


def any_config(terms, names):
    """SQL true for the releases that have all of TERMS as one of the configurations NAMES reads them,
    and its parameters. One expression, whatever the languages, so that the planner can estimate how
    many releases match (a word of every release is best found by walking the newest, a rare one
    through the index); the fewer configurations, the closer that estimate and the cheaper each row."""
    table = Release._meta.db_table
    if connection.vendor == "postgresql":
        either = " || ".join(["to_tsquery(%s::regconfig, %s)"] * len(names))
        return f"{table}.search_vector @@ ({either})", [
            value for name in names for value in (name, tsquery(terms))
        ]
    either = " OR ".join(fts5_query(terms, name) for name in names)
    return f"{table}.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)", [either]  # noqa: S608


def matching_sql(query, names):
    """SQL true for the releases the query matches as configurations NAMES read them, and its
    parameters. An excluded word excludes a release if any of them finds it there."""
    positive = [term for term in query.terms if not term.negated]
    sql, params = any_config(positive, names)
    for term in query.terms:
        if term.negated:
            excluded, excluded_params = any_config([term], names)
            sql, params = f"{sql} AND NOT {excluded}", [*params, *excluded_params]
    return f"({sql})", params


def rank_sql(query, names):
    """SQL for how well a release matches as configurations NAMES read it (higher is better)."""
    table = Release._meta.db_table
    positive = [term for term in query.terms if not term.negated]
    if connection.vendor == "postgresql":
        either = " || ".join(["to_tsquery(%s::regconfig, %s)"] * len(names))
        return (
            f"ts_rank({table}.search_vector, {either})",
            [value for name in names for value in (name, tsquery(positive))],
        )
    weights = ", ".join(str(weight) for weight in BM25_WEIGHTS)
    either = " OR ".join(fts5_query(positive, name) for name in names)
    sql = (
        f"COALESCE((SELECT -bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE} "  # noqa: S608
        f"WHERE {FTS_TABLE} MATCH %s AND rowid = {table}.id), 0)"
    )
    return sql, [either]


def expand(query):
    """On PostgreSQL, the last word's known completions in place of its prefix match: the planner
    estimates how many releases a word matches from its statistics, but not a prefix (it takes a common
    beginning for a rare one and reads every match through the index instead of walking the newest
    releases). Up to MAX_COMPLETIONS, through SearchWord's index; beyond that the prefix stays."""
    if connection.vendor != "postgresql" or not query.terms:
        return query
    last = query.terms[-1]
    if not last.prefix or len(last.words) != 1:
        return query
    if last.words[0].isdigit():  # numbers are not in SearchWord, and are typed whole
        return Query([*query.terms[:-1], Term(last.words)])
    found = known_beginning(last.words[0])
    if found is None:
        return query
    # No known word begins so: the word is matched whole, which the planner knows to be rare.
    completions = tuple(word for word in found if WORD.fullmatch(word) and word != last.words[0])
    return Query([*query.terms[:-1], Term(last.words, prefix=bool(completions), completions=completions)])


def known_beginning(prefix):
    """The known words that begin with PREFIX, or None when there are more than MAX_COMPLETIONS. Kept in
    each process (up to COMPLETIONS_KEPT prefixes, then begun afresh) for as long as a page rendered now
    may be kept (pagecache.part): the words come from releases, and a release saved starts a new
    generation."""
    kept = pagecache.part("search_completions", dict)
    if prefix in kept:
        return kept[prefix]
    found = list(
        SearchWord.objects.filter(word__startswith=prefix)
        .order_by("word")
        .values_list("word", flat=True)[: MAX_COMPLETIONS + 1]
    )
    if len(kept) >= COMPLETIONS_KEPT:
        kept.clear()
    kept[prefix] = found = None if len(found) > MAX_COMPLETIONS else tuple(found)
    return found


# The SQL of matching_sql and rank_sql is built from names and constants; what was typed is only ever
# in their parameters.


class Ranked(Sequence):
    """Releases found, best first, for Django's Paginator: the ranked ids are at hand (the count costs
    nothing), and the releases of a page are read when it is sliced, from the queryset searched."""

    def __init__(self, pks, queryset):
        self.pks, self.queryset = pks, queryset

    def __len__(self):
        return len(self.pks)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 or None][0]
        pks = self.pks[index]
        found = {release.pk: release for release in self.queryset.filter(pk__in=pks)} if pks else {}
        return [found[pk] for pk in pks if pk in found]


def releases(queryset, text, language=None):
    """The releases of QUERYSET that TEXT finds, best first: the newest CANDIDATES matches, ranked, in one
    query (the rank is computed for those only). LANGUAGE: every release of QUERYSET is in it, so only
    its configuration is asked."""
    query = parse(text) if isinstance(text, str) else text
    if not query:
        return Ranked([], queryset)
    query = expand(query)
    names = configs_for(language)
    sql, params = matching_sql(query, names)
    rank, rank_params = rank_sql(query, names)
    found = (
        queryset.filter(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611
        .annotate(rank=RawSQL(rank, rank_params, output_field=FloatField()))  # noqa: S611
        .values_list("pk", "rank")
    )
    newest = newest_first(found, CANDIDATES)
    # Newest first already: a stable sort by rank keeps the newer of two equally good matches first.
    ranked = sorted(newest, key=lambda row: -row[1])
    return Ranked([pk for pk, _rank in ranked], queryset)


# published_at as an expression that no index has, for a sort that cannot be served by walking one.
NOT_BY_THE_INDEX = ExpressionWrapper(
    F("published_at") + Value(timedelta(0), DurationField()), DateTimeField()
)


class Walked(Exception):
    """Raised to roll back the walk's timeout with its savepoint, once the rows are read."""


def newest_first(queryset, limit):
    """The first LIMIT rows of QUERYSET (a search's matches), newest first. On PostgreSQL a walk of the
    releases newest first (the planner's choice for a word it takes to be common) may take WALK_MS; if
    it takes longer the word was rare, and the matches are read through the search index and sorted."""
    ordered = queryset.order_by("-published_at", "-pk")[:limit]
    if connection.vendor != "postgresql":
        return list(ordered)
    rows = None
    try:
        # The savepoint is rolled back, not released, so that the timeout ends with it.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {WALK_MS}")
            rows = list(ordered)
            raise Walked
    except Walked:
        return rows
    except OperationalError as error:
        if not isinstance(error.__cause__, QueryCanceled):
            raise
    log.info("search: the walk for the newest matches took over %s ms; reading the index", WALK_MS)
    return list(queryset.order_by(NOT_BY_THE_INDEX.desc(), "-pk")[:limit])


def matches(queryset, text, language=None):
    """Every release of QUERYSET that TEXT finds, unranked (for callers that keep their own order);
    LANGUAGE as for releases()."""
    query = parse(text)
    if not query:
        return queryset.none()
    sql, params = matching_sql(expand(query), configs_for(language))
    return queryset.filter(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611


# Did you mean


def trigrams(word):
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a, b):
    """pg_trgm's similarity: shared trigrams over all trigrams."""
    first, second = trigrams(a), trigrams(b)
    return len(first & second) / len(first | second) if first and second else 0.0


def most_similar(word):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT word FROM {SearchWord._meta.db_table} WHERE word %% %s "  # noqa: S608
                "ORDER BY similarity(word, %s) DESC, word LIMIT 1",
                [word, word],
            )
            row = cursor.fetchone()
        return row[0] if row else None
    # SQLite has no trigram index: the demo's vocabulary is read within a few letters of the word's length.
    candidates = (
        SearchWord.objects.annotate(length=Length("word"))
        .filter(length__gte=len(word) - 3, length__lte=len(word) + 3)
        .values_list("word", flat=True)[:20_000]
    )
    scored = [(similarity(word, candidate), candidate) for candidate in candidates]
    scored = [(-score, candidate) for score, candidate in scored if score >= SIMILARITY]
    return min(scored)[1] if scored else None


def correction(queryset, text, language=None):
    """TEXT with its unknown words replaced by the most similar known ones, and what that finds in
    QUERYSET (as releases() does, LANGUAGE as there), if it finds anything; otherwise None."""
    query = parse(text)
    if not query:
        return None
    wanted = {word for term in query.terms if not term.negated for word in term.words}
    known = set(SearchWord.objects.filter(word__in=wanted).values_list("word", flat=True))
    replaced, changed = {}, False
    for word in wanted - known:
        if not WORD.fullmatch(word) or word.isdigit():
            continue
        found = most_similar(word)
        if found and found != word:
            replaced[word], changed = found, True
    if not changed:
        return None
    corrected = Query(
        [
            Term(
                tuple(replaced.get(word, word) for word in term.words),
                negated=term.negated,
                phrase=term.phrase,
                prefix=term.prefix,
            )
            for term in query.terms
        ]
    )
    found = releases(queryset, corrected, language)
    return (str(corrected), found) if found else None


# Snippets


def snippet(release, text):
    """A passage of the release's lead and body around the first word the query found, with the words
    found marked; the start of the lead when they are only in the title. Everything but the marks is
    escaped. The whole body is searched, so a word found deep in it is shown; only the words up to the
    end of the passage are stemmed."""
    content = " ".join(f"{release.lead} {sanitized_text(release.body)}".split())
    config = config_for(release.language)
    wanted, candidates = wanted_words(text, config)
    hits = iter(())
    if wanted:
        hits = (match for match in candidates.finditer(content) if found_in(match.group(), wanted, config))
    first = next(hits, None)
    at = first.start() if first else 0
    start = content.rfind(" ", 0, at - SNIPPET_BEFORE) + 1 if at > SNIPPET_BEFORE else 0
    end = content.find(" ", start + SNIPPET_CHARS)
    end = len(content) if end == -1 else end
    pieces, at = ["… " if start else ""], start
    for match in chain([first], hits) if first else ():
        if match.end() > end:
            break
        pieces += [escape(content[at : match.start()]), f"<mark>{escape(match.group())}</mark>"]
        at = match.end()
    pieces += [escape(content[at:end]), " …" if end < len(content) else ""]
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of text is escaped above


@lru_cache(maxsize=64)
def wanted_words(text, config):
    """The stems the query TEXT looks for in CONFIG ((stem, is a prefix) pairs), and a pattern for the
    words that may be one of them: read once for the ten snippets of a page."""
    query = parse(text)
    wanted = tuple(
        (stem(word, config), term.prefix and index == len(term.words) - 1)
        for term in query.terms
        if not term.negated
        for index, word in enumerate(term.words)
    )
    if not wanted:
        return (), None
    # A stem is (nearly always) the beginning of its word: only words that begin so are stemmed.
    beginnings = sorted({re.escape(found[: max(3, len(found) - 1)]) for found, _prefix in wanted})
    return wanted, re.compile(r"\b(?:" + "|".join(beginnings) + r")[^\W_]*", re.IGNORECASE)


def found_in(word, wanted, config):
    word = word.lower()
    stemmed = stem(word, config)
    return any(
        stemmed == found or (prefix and (stemmed.startswith(found) or word.startswith(found)))
        for found, prefix in wanted
    )


# Indexing


@dataclass
class Document:
    """What is indexed of one release, as text."""

    pk: int
    language: str
    title: str
    lead: str
    body: str
    rest: str

    @classmethod
    def of(cls, release):
        captions = [
            f"{attachment.title} {attachment.caption} {attachment.alt_text}"
            for attachment in release.attachments.all()
        ]
        contacts = [link.contact.name for link in release.release_contacts.all()]
        return cls(
            pk=release.pk,
            language=release.language,
            title=release.title,
            lead=release.lead,
            body=plain_text(release.body),
            rest=" ".join([*captions, *contacts]),
        )

    def vocabulary(self):
        found = words(" ".join([self.title, self.lead, self.body, self.rest]))
        return {word for word in found if 3 <= len(word) <= 40 and not word.isdigit()}


def store(documents, *, using=None):
    """Write DOCUMENTS to the search index, set-wise."""
    db = using or connection
    documents = list(documents)
    if not documents:
        return
    table = Release._meta.db_table
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET search_vector = "  # noqa: S608
                "setweight(to_tsvector(%(config)s::regconfig, %(title)s), 'A') || "
                "setweight(to_tsvector(%(config)s::regconfig, %(lead)s), 'B') || "
                "setweight(to_tsvector(%(config)s::regconfig, %(body)s), 'C') || "
                "setweight(to_tsvector(%(config)s::regconfig, %(rest)s), 'D') "
                "WHERE id = %(pk)s",
                [{**vars(document), "config": config_for(document.language)} for document in documents],
            )
        else:
            cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [[d.pk] for d in documents])  # noqa: S608
            rows = []
            for document in documents:
                config = config_for(document.language)
                fields = (document.title, document.lead, document.body, document.rest)
                rows.append(
                    [document.pk, *(" ".join(stem(word, config) for word in words(text)) for text in fields),
                     config]
                )  # fmt: skip
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, title, lead, body, rest, config) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )
        vocabulary = sorted(set().union(*(document.vocabulary() for document in documents)))
        if db.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {SearchWord._meta.db_table} (word) "  # noqa: S608
                "SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                [vocabulary],
            )
        else:
            cursor.executemany(
                f"INSERT OR IGNORE INTO {SearchWord._meta.db_table} (word) VALUES (%s)",  # noqa: S608
                [[word] for word in vocabulary],
            )


PARTS = Prefetch("release_contacts", queryset=ReleaseContact.objects.select_related("contact"))


def index_releases(queryset, *, batch_size=1000, progress=None):
    """Index every release of QUERYSET, a batch at a time; returns how many."""
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), batch_size):
        batch = (
            Release.objects.filter(pk__in=pks[start : start + batch_size])
            .prefetch_related("attachments", PARTS)
            .order_by("pk")
        )
        store(Document.of(release) for release in batch)
        if progress:
            progress(min(start + batch_size, len(pks)), len(pks))
    return len(pks)


def indexed(release):
    """RELEASE with what its document needs, read in three queries."""
    return Release.objects.prefetch_related("attachments", PARTS).get(pk=release.pk)


def release_saved(sender, instance, raw=False, **kwargs):
    # A raw save (fixtures, the import) has no files or contacts yet: the import indexes at its end.
    if not raw:
        store([Document.of(indexed(instance))])


def part_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    release = Release.objects.filter(pk=instance.release_id).first()
    if release is not None:
        store([Document.of(indexed(release))])


def contact_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        index_releases(instance.releases.all())


def release_deleted(sender, instance, **kwargs):
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [instance.pk])  # noqa: S608


def connect_signals():
    post_save.connect(release_saved, sender=Release, dispatch_uid="search.release_saved")
    post_delete.connect(release_deleted, sender=Release, dispatch_uid="search.release_deleted")
    post_save.connect(contact_saved, sender=Contact, dispatch_uid="search.contact_saved")
    for model in (Attachment, ReleaseContact):
        post_save.connect(part_changed, sender=model, dispatch_uid=f"search.{model.__name__}.saved")
        post_delete.connect(part_changed, sender=model, dispatch_uid=f"search.{model.__name__}.deleted")
