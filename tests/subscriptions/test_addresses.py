import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from subscriptions.addresses import normalize_email


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("kari@example.no", "kari@example.no"),
        ("  Kari@EXAMPLE.no\n", "Kari@example.no"),
        ("kari@bø.no", "kari@xn--b-5ga.no"),
        ("kari@BØ.NO", "kari@xn--b-5ga.no"),
        ("kari@xn--b-5ga.no", "kari@xn--b-5ga.no"),
        ("kari@æøå.example.no", "kari@xn--5cab8c.example.no"),
        ("kari+presse@sub.example.no.", "kari+presse@sub.example.no"),
        ("o'neil@example.com", "o'neil@example.com"),
    ],
)
def test_valid_addresses_are_normalized(typed, stored):
    assert normalize_email(typed) == stored
    validate_email(stored)
    assert normalize_email(stored) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "kari",
        "@example.no",
        "kari@",
        "kari@localhost",
        "kari@example",
        "kari@@example.no",
        '"kari nordmann"@example.no',
        "kåri@example.no",
        "kari.@example.no",
        "kari..n@example.no",
        "kari@-example.no",
        "kari@exa_mple.no",
        "kari@example..no",
        "kari@example.no\r\nBcc: x@example.com",
        "kari\x00@example.no",
        "a" * 65 + "@example.no",
        "kari@" + "a" * 250 + ".no",
        "kari@" + "ø" * 70 + ".no",
        None,
        b"kari@example.no",
    ],
)
def test_invalid_addresses_are_refused(typed):
    with pytest.raises(ValidationError) as error:
        normalize_email(typed)
    assert error.value.code == "invalid"
