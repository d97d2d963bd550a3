"""The association's catalogue: suppliers (phone sealed), their certificates and
products (photo type read from its bytes), and a supplier's login (its first password
shown once)."""

from __future__ import annotations

import secrets
from datetime import date

import filetype
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from firstline.core.personal.fields import set_personal
from firstline.core.personal.identity import validate_phone
from firstline.core.personal.normalise import normalise_phone
from firstline.core.roles import Role
from firstline.core.services import audit_record
from firstline.market.models import AuditAction, Certificate, Product, Supplier
from firstline.orgs.models import RoleAssignment, User

PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024


def photo_check(upload, *, field: str = "photo") -> None:
    """A product photo: JPEG, PNG or WebP by its bytes (never its name), at most 5 MB."""
    if upload.size is None or upload.size <= 0:
        raise ValidationError({field: _("照片文件是空的。")})
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({field: _("照片不能超过 5 MB。")})
    upload.seek(0)
    kind = filetype.guess(upload.read(512))
    upload.seek(0)
    if kind is None or kind.mime not in PHOTO_TYPES:
        raise ValidationError({field: _("照片只接受 JPEG、PNG 或 WebP 图片。")})


def supplier_save(
    *,
    actor,
    association_id: int,
    name: str,
    county,
    poverty: str = Supplier.Poverty.POOR,
    contact_name: str = "",
    phone: str = "",
    user=None,
    supplier: Supplier | None = None,
    active: bool = True,
) -> Supplier:
    """Create a supplier, or edit `supplier` (its login kept; a blank phone keeps the
    sealed one)."""
    with transaction.atomic():
        if supplier is None:
            supplier = Supplier(association_id=association_id, user=user)
        supplier.name = name
        supplier.county = county
        supplier.poverty = poverty
        supplier.contact_name = contact_name
        supplier.active = active
        if phone or not supplier.pk:
            phone = normalise_phone(phone) if phone else ""
            if phone:
                try:
                    validate_phone(phone)
                except ValidationError as exc:
                    raise ValidationError({"phone": exc.messages}) from None
            set_personal(supplier, "phone", phone)
        supplier.full_clean(exclude=["phone_enc"])
        supplier.save()
        audit_record(actor=actor, company_id=None, action=AuditAction.SUPPLIER_SAVE, obj=supplier)
    return supplier


def certificate_add(
    *, supplier: Supplier, kind: str, number: str, expires_on: date, actor=None
) -> Certificate:
    if kind not in Certificate.Kind.values:
        raise ValidationError({"kind": _("请选择证书类别。")})
    if not (number or "").strip():
        raise ValidationError({"number": _("请填写证书编号。")})
    with transaction.atomic():
        certificate = Certificate.all_tenants.create(
            association_id=supplier.association_id,
            supplier=supplier,
            kind=kind,
            number=number.strip(),
            expires_on=expires_on,
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.SUPPLIER_SAVE,
            obj=supplier,
            changes={"certificate": [None, f"{kind} {certificate.number}"]},
        )
    return certificate


def supplier_login_create(
    *, actor, supplier: Supplier, username: str, name: str
) -> tuple[User, str]:
    """Open the supplier's login: the supplier role over the association, linked to the
    supplier (so it sees its own purchase orders only). Always a new account; its first
    password is random and returned once. Returns (user, password)."""
    username, name = (username or "").strip(), (name or "").strip()
    errors = {}
    if not username:
        errors["username"] = _("请填写登录名。")
    if not name:
        errors["name"] = _("请填写姓名。")
    if errors:
        raise ValidationError(errors)
    if supplier.user_id:
        raise ValidationError({"username": _("该供应商已有登录账号。")})
    password = secrets.token_urlsafe(9)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, password=password, display_name=name[:64]
            )
            RoleAssignment.objects.create(
                user=user, role=Role.SUPPLIER, association_id=supplier.association_id
            )
            supplier.user = user
            supplier.save(update_fields=["user"])
            audit_record(
                actor=actor,
                company_id=None,
                action=AuditAction.SUPPLIER_SAVE,
                obj=supplier,
                changes={"login": [None, username]},
            )
    except IntegrityError:
        raise ValidationError({"username": _("该登录名不可用。")}) from None
    return user, password


def product_save(
    *,
    actor,
    supplier: Supplier,
    name: str,
    origin: str,
    grams_per_unit: int,
    price_fen: int,
    available: int,
    unit: str = "箱",
    trace_code: str = "",
    photo=None,
    product: Product | None = None,
) -> Product:
    """Create a product of `supplier`, or edit `product`; a photo is checked by its
    bytes."""
    if photo is not None:
        photo_check(photo)
    with transaction.atomic():
        if product is None:
            product = Product(association_id=supplier.association_id)
        product.supplier = supplier
        product.name = name
        product.origin = origin
        product.unit = unit
        product.grams_per_unit = grams_per_unit
        product.price_fen = price_fen
        product.available = available
        product.trace_code = trace_code
        if photo is not None:
            product.photo = photo
        product.full_clean()
        product.save()
        audit_record(actor=actor, company_id=None, action=AuditAction.PRODUCT_SAVE, obj=product)
    return product
