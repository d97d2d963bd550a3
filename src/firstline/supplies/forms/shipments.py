"""Forms of the shipment pages: signing for a shipment line by line, and recording
what a site used. They check the input and put each message on its line; the
services (supplies/services/shipments.py) check again and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.forms import ScopedForm
from firstline.supplies.models import Item, Shipment
from firstline.supplies.services.shipments import REASON_MAX

CONSUMPTION_ROWS = 4


class ReceiveForm(ScopedForm):
    """One `qty_<line id>` (defaulting to what was sent) and one `reason_<line id>`
    per line; a quantity that differs from what was sent needs its reason."""

    def __init__(self, *args, shipment: Shipment, lines, **kwargs):
        self.shipment = shipment
        self.lines = list(lines)
        super().__init__(*args, **kwargs)
        for line in self.lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=_("%(item)s 实收数量") % {"item": line.item.name},
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                widget=forms.NumberInput(attrs={"class": "form-control", "min": 0}),
            )
            self.fields[f"reason_{line.pk}"] = forms.CharField(
                label=_("%(item)s 差异原因") % {"item": line.item.name},
                required=False,
                max_length=REASON_MAX,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )

    def rows(self):
        """(line, quantity field, reason field) for the template's table."""
        return [(line, self[f"qty_{line.pk}"], self[f"reason_{line.pk}"]) for line in self.lines]

    def clean(self):
        data = super().clean()
        for line in self.lines:
            quantity = data.get(f"qty_{line.pk}")
            reason = (data.get(f"reason_{line.pk}") or "").strip()
            if quantity is not None and quantity != line.quantity and not reason:
                self.add_error(
                    f"reason_{line.pk}",
                    _("实收 %(got)d 与发货 %(sent)d 不符，请说明原因。")
                    % {"got": quantity, "sent": line.quantity},
                )
        return data

    def received(self) -> dict[int, tuple[int, str]]:
        return {
            line.pk: (
                self.cleaned_data[f"qty_{line.pk}"],
                self.cleaned_data.get(f"reason_{line.pk}", ""),
            )
            for line in self.lines
        }


class ConsumptionForm(ScopedForm):
    """Up to four rows of item and quantity, and what they were used for."""

    reason = forms.CharField(label=_("用途"), max_length=REASON_MAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        items = Item.objects.filter(active=True).order_by("code")
        for n in range(1, CONSUMPTION_ROWS + 1):
            self.fields[f"item_{n}"] = forms.ModelChoiceField(
                label=_("物资 %(n)d") % {"n": n},
                queryset=items,
                required=False,
                widget=forms.Select(attrs={"class": "form-select"}),
            )
            self.fields[f"qty_{n}"] = forms.IntegerField(
                label=_("数量 %(n)d") % {"n": n},
                min_value=1,
                required=False,
                widget=forms.NumberInput(attrs={"class": "form-control", "min": 1}),
            )
        self.order_fields(
            [
                *(
                    name
                    for n in range(1, CONSUMPTION_ROWS + 1)
                    for name in (f"item_{n}", f"qty_{n}")
                ),
                "reason",
            ]
        )

    def clean(self):
        data = super().clean()
        filled = 0
        for n in range(1, CONSUMPTION_ROWS + 1):
            item, quantity = data.get(f"item_{n}"), data.get(f"qty_{n}")
            if item and not quantity and f"qty_{n}" not in self.errors:
                self.add_error(f"qty_{n}", _("请填写数量。"))
            elif quantity and not item:
                self.add_error(f"item_{n}", _("请选择物资。"))
            elif item and quantity:
                filled += 1
        if not filled and not self.errors:
            raise forms.ValidationError(_("请至少填写一行使用记录。"))
        return data

    def lines(self) -> list[tuple[Item, int]]:
        out = []
        for n in range(1, CONSUMPTION_ROWS + 1):
            item, quantity = self.cleaned_data.get(f"item_{n}"), self.cleaned_data.get(f"qty_{n}")
            if item and quantity:
                out.append((item, quantity))
        return out
