"""The admin of connected shops (their webhook secrets are written, never shown) and of
the webhook deliveries received from them (read only)."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin

from clvcrm.core.admin_tools import ReadOnlyLargeTableAdmin
from customers.integrations.signatures import shop_key
from customers.models import ConnectedShop, ShopRefund, WebhookEvent


class ConnectedShopForm(forms.ModelForm):
    """The secret is write-only: never rendered back; left empty on a change, it stays."""

    secret = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=(
            "Shopify: the app's client secret (Settings, Notifications, Webhooks: 'Your "
            "webhooks will be signed with ...'). WooCommerce: the webhook's Secret. "
            "Not shown again; leave empty to keep the current one."
        ),
    )

    class Meta:
        model = ConnectedShop
        fields = ["platform", "domain", "secret", "active"]

    def clean_domain(self) -> str:
        return shop_key(self.cleaned_data["domain"])

    def clean_secret(self) -> str:
        secret: str = self.cleaned_data["secret"]
        if not secret and self.instance.pk is None:
            raise forms.ValidationError("A new shop needs its webhook secret.")
        return secret

    def save(self, commit: bool = True) -> Any:
        if not self.cleaned_data["secret"] and self.instance.pk is not None:
            self.instance.secret = ConnectedShop.objects.get(pk=self.instance.pk).secret
        return super().save(commit)


@admin.register(ConnectedShop)
class ConnectedShopAdmin(admin.ModelAdmin):
    form = ConnectedShopForm
    list_display = ["domain", "platform", "active", "created_at"]
    list_filter = ["platform", "active"]
    search_fields = ["domain"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["received_at", "shop", "topic", "delivery_id", "outcome", "processed_at"]
    list_filter = ["platform", "outcome"]
    search_fields = ["delivery_id"]
    raw_id_fields = ["shop"]
    exclude = ["body"]
    readonly_fields = [
        "body_text",
        *(f.name for f in WebhookEvent._meta.fields if f.name != "body"),
    ]

    @admin.display(description="body")
    def body_text(self, event: WebhookEvent) -> str:
        if event.body_removed_at is not None:
            removed = event.body_removed_at.date().isoformat()
            days = settings.WEBHOOK_BODY_RETENTION_DAYS
            return f"Removed by retention on {removed} (bodies are kept {days} days)."
        return bytes(event.body).decode("utf-8", "replace")


@admin.register(ShopRefund)
class ShopRefundAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["refund_id", "shop", "order_id", "amount", "created_at"]
    search_fields = ["refund_id", "order_id"]
    raw_id_fields = ["shop"]
    readonly_fields = [f.name for f in ShopRefund._meta.fields]
