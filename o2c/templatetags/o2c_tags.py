from decimal import Decimal, InvalidOperation

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def bootstrap(field: forms.BoundField) -> SafeString:
    """Render a form field's widget with Bootstrap's classes (and is-invalid on errors)."""
    css = "form-select" if isinstance(field.field.widget, forms.Select) else "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


@register.filter
def qty(value: object) -> str:
    """A quantity without trailing zeros: 17.500 → 17.5, 10.000 → 10, None → ''."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "") else text
