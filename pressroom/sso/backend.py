"""Staff log in through the organisation's provider: users matched by the provider's subject ("sub", an
Identity), created as staff on their first login, and their roles (Django groups) set from the groups claim
at every login. An existing account is linked by its e-mail address on a first login only when
OIDC_LINK_BY_EMAIL allows it and the provider says the address is verified: an address can change hands, a
subject cannot.

Built on mozilla-django-oidc's backend, which checks the state, the nonce and the ID token's signature;
this one also checks the token's issuer and audience, which the library leaves out.
"""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend, default_username_algo

from .models import Identity
from .provider import configuration

log = logging.getLogger(__name__)


def claim_values(claims, name):
    """The values of a claim that may be a list or a single string."""
    value = claims.get(name) or []
    return [value] if isinstance(value, str) else [str(item) for item in value]


def roles_for(claims):
    """The names of the groups that CLAIMS give, by OIDC_ROLE_MAP."""
    role_map = settings.OIDC_ROLE_MAP
    values = claim_values(claims, settings.OIDC_GROUPS_CLAIM)
    return sorted({role_map[value] for value in values if value in role_map})


def verified(claims):
    """Whether the provider says the address in CLAIMS is its owner's (OIDC_EMAIL_VERIFIED_CLAIM)."""
    return claims.get(settings.OIDC_EMAIL_VERIFIED_CLAIM) in (True, "true")


def set_roles(user, roles):
    """Give USER exactly the mapped groups in ROLES: a mapped group the claims no longer give is taken away,
    a group that is not in the role map (given by hand) stays."""
    mapped = set(settings.OIDC_ROLE_MAP.values())
    keep = [group for group in user.groups.all() if group.name not in mapped]
    wanted = [Group.objects.get_or_create(name=name)[0] for name in roles]
    user.groups.set(keep + wanted)


class OrganisationBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # The library reads the endpoints here, on every request that loads the session's user; they are
        # read from the discovery document when a login needs them instead (the properties below).
        self.UserModel = get_user_model()

    # The library's names, from the discovery document and settings.

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):  # noqa: N802
        return configuration()["token_endpoint"]

    @property
    def OIDC_OP_USER_ENDPOINT(self):  # noqa: N802
        return configuration().get("userinfo_endpoint")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):  # noqa: N802
        return configuration()["jwks_uri"]

    OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_RP_CLIENT_ID(self):  # noqa: N802
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self):  # noqa: N802
        return settings.OIDC_RP_CLIENT_SECRET

    @property
    def OIDC_RP_SIGN_ALGO(self):  # noqa: N802
        return settings.OIDC_RP_SIGN_ALGO

    def retrieve_matching_jwk(self, token):
        # The library requires a key id in the token's header; a provider with one key may leave it out.
        header = jwt.get_unverified_header(token)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = [
            key
            for key in response.json().get("keys", [])
            if key.get("use", "sig") == "sig"
            and key.get("alg", header.get("alg")) == header.get("alg")
            and ("kid" not in header or key.get("kid") == header["kid"])
        ]
        if len(keys) != 1:
            raise SuspiciousOperation(f"{len(keys)} of the provider's keys match the ID token's header.")
        return jwt.PyJWK(keys[0])

    def _verify_jws(self, payload, key):
        alg = jwt.get_unverified_header(payload).get("alg")
        if alg != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"The ID token is signed with {alg!r}, not {self.OIDC_RP_SIGN_ALGO!r}.")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[alg],
                audience=settings.OIDC_RP_CLIENT_ID,
                issuer=configuration()["issuer"],
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"The ID token is not valid: {exc}") from exc

    def get_userinfo(self, access_token, id_token, payload):
        # Entra ID puts the groups and roles in the ID token only; its userinfo has the name and address.
        userinfo = super().get_userinfo(access_token, id_token, payload) if self.OIDC_OP_USER_ENDPOINT else {}
        return {**userinfo, **payload}

    def verify_claims(self, claims):
        if not claims.get(settings.OIDC_EMAIL_CLAIM):
            log.warning("Single sign-on refused: no %s claim", settings.OIDC_EMAIL_CLAIM)
            return False
        required = settings.OIDC_REQUIRED_GROUP
        if required and required not in claim_values(claims, settings.OIDC_GROUPS_CLAIM):
            log.warning("Single sign-on refused: the claims lack the required group %s", required)
            return False
        return True

    def filter_users_by_claims(self, claims):
        issuer = configuration()["issuer"]
        identity = Identity.objects.filter(issuer=issuer, subject=claims["sub"]).first()
        if identity is not None:
            return self.UserModel.objects.filter(pk=identity.user_id)
        if settings.OIDC_LINK_BY_EMAIL and verified(claims):
            # Only an account that no one at this provider has logged in as yet.
            return self.UserModel.objects.filter(email__iexact=claims[settings.OIDC_EMAIL_CLAIM]).exclude(
                sso_identities__issuer=issuer
            )
        return self.UserModel.objects.none()

    def create_user(self, claims):
        email = claims[settings.OIDC_EMAIL_CLAIM]
        unlinked = self.UserModel.objects.filter(email__iexact=email).exclude(
            sso_identities__issuer=configuration()["issuer"]
        )
        if unlinked.exists():
            # Someone may already have an account with this address: neither take it over nor make a second.
            log.warning(
                "Single sign-on refused: an account with the address of subject %s exists and is not linked "
                "(OIDC_LINK_BY_EMAIL is off, or the provider does not say the address is verified)",
                claims["sub"],
            )
            return None
        username = email
        if len(email) > 150 or self.UserModel.objects.filter(username__iexact=email).exists():
            # A user name has at most 150 characters, and another user may already have this one.
            username = default_username_algo(email)
        with transaction.atomic():
            user = self.UserModel.objects.create_user(username, email=email)
            return self.update_user(user, claims)

    def update_user(self, user, claims):
        with transaction.atomic():
            Identity.objects.get_or_create(
                issuer=configuration()["issuer"], subject=claims["sub"], defaults={"user": user}
            )
            user.is_staff = True
            # The provider's address is the current one: a changed address follows the person.
            user.email = str(claims[settings.OIDC_EMAIL_CLAIM])[:254]
            user.first_name = str(claims.get("given_name") or user.first_name)[:150]
            user.last_name = str(claims.get("family_name") or user.last_name)[:150]
            user.save(update_fields=["is_staff", "email", "first_name", "last_name"])
            set_roles(user, roles_for(claims))
        # For the view's signal: the claims this login brought.
        user._sso_claims = claims
        return user
