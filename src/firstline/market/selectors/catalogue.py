"""Reads of the programme desk and of campaign organisers: suppliers with their
certificates, products, the sites a campaign may include, and an order's money
(paid, due, refunded)."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.market.models import Certificate, Payment, Product
from firstline.market.selectors.orders import MANAGE
from firstline.orgs.models import Membership


def suppliers_annotated(qs, scope: Scope):
    """Suppliers, each with `expired` (a certificate past its date) and
    `products_count`, in a fixed number of queries."""
    today = timezone.localdate()
    return (
        qs.select_related("county", "user")
        .annotate(
            expired=Exists(
                Certificate.objects.for_scope(scope.for_perm(MANAGE)).filter(
                    supplier=OuterRef("pk"), expires_on__lt=today
                )
            ),
            products_count=Count("products", distinct=True),
        )
        .order_by("name", "id")
    )


def supplier_certificates(scope: Scope, supplier):
    return Certificate.objects.for_scope(scope.for_perm(MANAGE)).filter(supplier=supplier)


def products_listed(scope: Scope):
    return (
        Product.objects.for_scope(scope.for_perm(MANAGE))
        .select_related("supplier")
        .order_by("supplier__name", "name", "id")
    )


def campaign_sites_choosable(scope: Scope):
    """The sites a campaign organiser may include: a company its own; the association
    desk any member company's (read across the member companies by design)."""
    desk = scope.for_perm(MANAGE).ids(Target.ASSOCIATION)
    own = Q(company_id__in=scope.ids(Target.COMPANY))
    if desk:
        members = Membership.objects.filter(association_id__in=desk).values("company_id")
        own |= Q(company_id__in=members)
    return Site.all_tenants.filter(own).select_related("company").order_by("company_id", "id")


def with_money(qs):
    """Orders annotated with `paid_fen` (transfers and collections), `refunded_fen`
    (refund payments) - the reconciliation beside the order total."""

    def total(kind_q):
        return Coalesce(
            Sum("payments__amount_fen", filter=kind_q), Value(0), output_field=IntegerField()
        )

    return qs.annotate(
        paid_fen=total(Q(payments__kind__in=[Payment.Kind.TRANSFER, Payment.Kind.COLLECTION])),
        refunded_fen=total(Q(payments__kind=Payment.Kind.REFUND)),
    )
