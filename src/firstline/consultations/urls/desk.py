"""The desk: experts and conflicts, categories, FAQ drafts, figures."""

from django.urls import path

from firstline.consultations.views import desk as views

urlpatterns = [
    path("experts/", views.ExpertList.as_view(), name="expert_list"),
    path("experts/new/", views.ExpertCreate.as_view(), name="expert_create"),
    path("experts/<int:pk>/", views.ExpertDetail.as_view(), name="expert_detail"),
    path("experts/<int:pk>/edit/", views.ExpertEdit.as_view(), name="expert_edit"),
    path("experts/<int:pk>/conflicts/", views.ConflictCreate.as_view(), name="conflict_create"),
    path("categories/", views.CategoryList.as_view(), name="category_list"),
    path("categories/<int:pk>/", views.CategoryEdit.as_view(), name="category_edit"),
    path("faq/", views.FaqDraftList.as_view(), name="faq_list"),
    path("<int:pk>/faq/", views.FaqCreate.as_view(), name="faq_create"),
    path("faq/<int:pk>/", views.FaqEdit.as_view(), name="faq_edit"),
    path("faq/<int:pk>/publish/", views.faq_publish, name="faq_publish"),
    path("figures/", views.FiguresPage.as_view(), name="figures"),
]
