from django import forms

from .models import WebhookEndpoint


class WebhookEndpointForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.CharField(max_length=500, label="URL", help_text="Where o2c POSTs the signed events.")
    event_types = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One event type per line or comma-separated (e.g. invoice.issued). Empty: every event.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    @classmethod
    def for_endpoint(cls, endpoint: WebhookEndpoint) -> "WebhookEndpointForm":
        return cls(initial={
            "name": endpoint.name, "url": endpoint.url,
            "event_types": "\n".join(endpoint.event_types), "is_active": endpoint.is_active,
        })

    def service_kwargs(self) -> dict[str, object]:
        data = self.cleaned_data
        raw = data["event_types"].replace(",", "\n")
        return {
            "name": data["name"], "url": data["url"].strip(),
            "event_types": [t.strip() for t in raw.splitlines() if t.strip()],
            "is_active": data["is_active"],
        }
