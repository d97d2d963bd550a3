"""Each checklist of the library links to the association's public guide of its site
type (publishing's selector), on the library list and the checklist's page."""

import pytest
from django.urls import reverse
from wagtail.models import Page

from firstline.publishing.models import GuidePage
from firstline.publishing.selectors.guides import public_guide_for
from firstline.publishing.services.site import site_ensure
from firstline.sanitation.models import Guide
from firstline.sanitation.services.library import library_install

pytestmark = pytest.mark.django_db


def test_checklists_link_to_the_public_guide_of_their_site_type(client, world):
    home = site_ensure()
    guide = GuidePage(title="住宅小区疫情防控操作指引", slug="residential", site_type="residential")
    home.add_child(instance=guide)
    guide.save_revision().publish()
    assert isinstance(home, Page)
    assert public_guide_for("residential")["url"] == guide.url
    assert public_guide_for("transport") is None
    library_install(actor=None)
    checklist = Guide.objects.get(site_type="residential", current=True)
    office = Guide.objects.get(site_type="office", current=True)
    client.force_login(world.a.users["company_admin"])
    text = client.get(checklist.get_absolute_url()).content.decode()
    assert guide.url in text and "guide-public-link" in text
    assert "guide-public-link" not in client.get(office.get_absolute_url()).content.decode()
    listing = client.get(reverse("sanitation:guide_list")).content.decode()
    assert listing.count("guide-public-link") == 1
