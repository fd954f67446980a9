"""JSON Schema for the values a Django form accepts, read from the form's own fields and validators: the
OpenAPI document (openapi.py) describes query parameters and request bodies with it, so that a rule
changed in a form is a rule changed in the document.

What a field's validators say becomes `type`, `enum`, `minimum`/`maximum`, `minLength`/`maxLength` and
`pattern`; a required field is `required` in its object. Rules in a form's or a model's clean() (which
depend on other fields or other rows) are not read: the document states those in words and `x-` notes.
"""

from django import forms
from django.core import validators

# Python regular expressions as ECMA-262 (JSON Schema) reads them: only the anchors differ in ours.
ECMA_ANCHORS = {r"\A": "^", r"\Z": "$"}
NOT_BLANK = r"\S"
# White space as ECMA-262's \s reads it, which is what the document's patterns mean: Python's str.strip()
# also takes U+001C–U+001F and U+0085, so the server checks blankness with this set instead.
WHITE_SPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
NO_NUL = r"^[^\x00]*$"
NOT_BLANK_NO_NUL = r"^[^\x00]*[^\s\x00][^\x00]*$"


def ecma(pattern):
    for python, ecma_anchor in ECMA_ANCHORS.items():
        pattern = pattern.replace(python, ecma_anchor)
    return pattern


def field_schema(field, *, not_blank=False):
    """The JSON Schema of FIELD's value. NOT_BLANK: the value must hold more than white space (a
    required field that strips its input, or a query parameter, which may not be sent empty)."""
    if isinstance(field, forms.ModelChoiceField):
        schema = {"type": "integer", "minimum": 1}
    elif isinstance(field, forms.ChoiceField):
        values = [str(value) for value, _label in field.choices if value != "" or not field.required]
        schema = {"type": "string", "enum": values}
    elif isinstance(field, forms.IntegerField):
        schema = {"type": "integer"}
    elif isinstance(field, forms.FileField):
        return {"type": "string", "format": "binary"}
    else:
        schema = {"type": "string"}
        not_blank = not_blank or (field.required and getattr(field, "strip", False))
    if format_name := getattr(field, "openapi_format", None):
        schema["format"] = format_name
    regex, no_nul = None, False
    for validator in field.validators:
        if isinstance(validator, validators.MaxLengthValidator):
            schema["maxLength"] = validator.limit_value
        elif isinstance(validator, validators.MinLengthValidator):
            schema["minLength"] = validator.limit_value
        elif isinstance(validator, validators.MaxValueValidator):
            schema["maximum"] = validator.limit_value
        elif isinstance(validator, validators.MinValueValidator):
            schema["minimum"] = validator.limit_value
        elif isinstance(validator, validators.ProhibitNullCharactersValidator):
            no_nul = True
        elif isinstance(validator, validators.RegexValidator) and not validator.inverse_match:
            regex = ecma(validator.regex.pattern)
    if schema["type"] != "string" or "enum" in schema or "format" in schema:
        # A format of our own describes the whole value (and schemathesis's generator for it would give
        # way to a pattern).
        return schema
    if regex:
        # Django checks no validator on an empty value, so an optional field also takes "".
        schema["pattern"] = regex if field.required else f"^$|{regex}"
    elif not_blank:
        schema["pattern"] = NOT_BLANK_NO_NUL if no_nul else NOT_BLANK
    elif no_nul:
        schema["pattern"] = NO_NUL
    if not_blank:
        schema["minLength"] = max(schema.get("minLength", 0), 1)
    return schema


def form_properties(form_class, fields=None):
    """{name: schema} for the fields of FORM_CLASS (only FIELDS, in their order, when given)."""
    base_fields = form_class.base_fields
    names = fields or list(base_fields)
    properties = {}
    for name in names:
        field = base_fields[name]
        schema = field_schema(field)
        if not field.required and isinstance(field, forms.ModelChoiceField):
            schema = {"anyOf": [schema, {"type": "null"}]}
        properties[name] = schema
    return properties


def required_fields(form_class, fields=None):
    return [name for name in fields or form_class.base_fields if form_class.base_fields[name].required]
