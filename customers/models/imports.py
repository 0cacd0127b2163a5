"""Order imports: one row per run, and the rows it rejected."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from clvcrm.core.model_fields import max_length


class OrderImport(models.Model):
    """One run of the order import, from the command line or the upload page.

    The report of every rejected row lives in :class:`ImportRejection`, so a staff user can
    download it later and a worker on another machine can write it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    file_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    # Uploads hold customer data: the file goes after UPLOAD_RETENTION_DAYS; the row, its
    # counts and its rejected rows stay (customers.order_import.retention).
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveBigIntegerField(default=0)
    rows_rejected = models.PositiveBigIntegerField(default=0)
    rows_warned = models.PositiveBigIntegerField(
        default=0, help_text="Rows imported with a warning (see the report)."
    )
    orders_created = models.PositiveBigIntegerField(default=0)
    orders_updated = models.PositiveBigIntegerField(default=0)
    orders_unchanged = models.PositiveBigIntegerField(default=0)
    customers_created = models.PositiveBigIntegerField(default=0)
    customers_updated = models.PositiveBigIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    ignored_columns = models.JSONField(default=list, blank=True)
    currency = models.CharField(
        max_length=3, blank=True, default="", help_text="The currency the amounts were read in."
    )

    class FileFormat(models.TextChoices):
        # The labels of customers.order_import.formats (a test keeps them the same).
        CLVCRM = "", "clvcrm CSV"
        SHOPIFY = "shopify", "Shopify orders export"
        WOOCOMMERCE = "woocommerce", "WooCommerce order export (one row per line item)"
        MAPPED = "mapped", "columns mapped on the upload page"

    file_format = models.CharField(
        max_length=20,
        blank=True,
        default="",
        choices=FileFormat.choices,
        help_text="The shop export the file was recognised as (empty: clvcrm's own format).",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @classmethod
    def file_name_of(cls, name: str) -> str:
        """A file's name as the ``file_name`` column holds it."""
        return name[: max_length(cls, "file_name")]

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(100 * self.bytes_done / self.bytes_total) if self.bytes_total else 0


class ImportRejection(models.Model):
    """A row the import rejected, or imported with a warning: where, which column and why.

    Both make up the import's report, one line each, told apart by ``kind``.
    """

    class Kind(models.TextChoices):
        REJECTED = "rejected", "Rejected"
        WARNING = "warning", "Warning"

    # Indexed by rejection_import_row_idx (order_import, row).
    order_import = models.ForeignKey(
        OrderImport, on_delete=models.CASCADE, related_name="rejections", db_index=False
    )
    row = models.PositiveBigIntegerField()
    order_id = models.CharField(max_length=64, blank=True, default="")
    column = models.CharField(max_length=64, blank=True, default="")
    value = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=300)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REJECTED)

    class Meta:
        ordering = ["order_import", "row", "id"]
        indexes = [models.Index(fields=["order_import", "row"], name="rejection_import_row_idx")]

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}: {self.reason}"


class ColumnMapping(models.Model):
    """Which column of a CSV file of another layout gives each of clvcrm's columns, chosen on
    the upload page and remembered for the next file with the same header."""

    # SHA-256 of the header's normalised column names (order_import.formats.mapped).
    header_key = models.CharField(max_length=64, unique=True)
    header = models.JSONField(default=list, help_text="The header's columns, as written.")
    columns = models.JSONField(
        default=dict, help_text="clvcrm column → the file's column (as written)."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return ", ".join(f"{k} ← {v}" for k, v in self.columns.items())
