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
