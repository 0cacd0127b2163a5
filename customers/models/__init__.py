"""Models of the customers app, one module per topic."""

from customers.models.backtest import ClvBacktest
from customers.models.clv import ClvRun, ClvRunPart, CustomerScore, PredictedClvCut
from customers.models.imports import ColumnMapping, ImportRejection, OrderImport
from customers.models.integrations import ConnectedShop, Platform, ShopRefund, WebhookEvent
from customers.models.interactions import CustomerNote, CustomerTask
from customers.models.kpis import KpiCohort, KpiLapse, KpiMonth, KpiRefresh, KpiRunSummary
from customers.models.loyalty import LoyaltySettings, LoyaltyStatus, LoyaltyTier, LoyaltyTierChange
from customers.models.marketing import MarketingSpend
from customers.models.points import PointsBalance, PointsEntry
from customers.models.segments import (
    CustomerSegment,
    CustomSegmentMembership,
    DefaultSegment,
    Segment,
    SegmentReason,
    SegmentReassignment,
    SegmentStatistic,
    SegmentThresholds,
    SegmentTransition,
)
from customers.models.shop import (
    AcquisitionChannel,
    Customer,
    NpsCategory,
    Order,
    OrderLine,
    Product,
    net_revenue,
)

__all__ = [
    "AcquisitionChannel",
    "ClvBacktest",
    "ClvRun",
    "ClvRunPart",
    "ColumnMapping",
    "ConnectedShop",
    "CustomSegmentMembership",
    "Customer",
    "CustomerNote",
    "CustomerScore",
    "CustomerSegment",
    "CustomerTask",
    "DefaultSegment",
    "ImportRejection",
    "KpiCohort",
    "KpiLapse",
    "KpiMonth",
    "KpiRefresh",
    "KpiRunSummary",
    "LoyaltySettings",
    "LoyaltyStatus",
    "LoyaltyTier",
    "LoyaltyTierChange",
    "MarketingSpend",
    "NpsCategory",
    "Order",
    "OrderImport",
    "OrderLine",
    "Platform",
    "PointsBalance",
    "PointsEntry",
    "PredictedClvCut",
    "Product",
    "Segment",
    "SegmentReason",
    "SegmentReassignment",
    "SegmentStatistic",
    "SegmentThresholds",
    "SegmentTransition",
    "ShopRefund",
    "WebhookEvent",
    "net_revenue",
]
