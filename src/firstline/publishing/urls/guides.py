"""Guides: print and poster views (public), editions of companies and of local
associations (signed in)."""

from django.urls import path

from firstline.publishing.views import guides

public_urlpatterns: list = [
    path("guides/<int:pk>/print/", guides.guide_print, name="guide_print"),
    path("guides/<int:pk>/poster.pdf", guides.guide_poster, name="guide_poster"),
]
member_urlpatterns: list = [
    path("editions/", guides.EditionList.as_view(), name="edition_list"),
    path("editions/new/", guides.EditionCreate.as_view(), name="edition_create"),
    path("editions/<int:pk>/", guides.EditionDetail.as_view(), name="edition_detail"),
    path("editions/<int:pk>/edit/", guides.EditionEdit.as_view(), name="edition_edit"),
    path("editions/<int:pk>/rebase/", guides.EditionRebase.as_view(), name="edition_rebase"),
    path(
        "association-editions/",
        guides.AssociationEditionList.as_view(),
        name="association_edition_list",
    ),
    path(
        "association-editions/new/",
        guides.AssociationEditionCreate.as_view(),
        name="association_edition_create",
    ),
    path(
        "association-editions/<int:pk>/",
        guides.AssociationEditionDetail.as_view(),
        name="association_edition_detail",
    ),
    path(
        "association-editions/<int:pk>/edit/",
        guides.AssociationEditionEdit.as_view(),
        name="association_edition_edit",
    ),
    path(
        "association-editions/<int:pk>/rebase/",
        guides.AssociationEditionRebase.as_view(),
        name="association_edition_rebase",
    ),
]
