"""jobs pages (under /jobs/): the fair's public page and sign-up, the graduate's
pages, the employer's and the association's."""

from django.urls import path

from firstline.jobs.views import association, employer, graduate, public

app_name = "jobs"

urlpatterns = [
    # public (no login)
    path("fair/<int:pk>/", public.FairPublic.as_view(), name="fair_public"),
    path("fair/<int:pk>/sign-up/", public.SignUp.as_view(), name="sign_up"),
    # the graduate's
    path("me/", graduate.Me.as_view(), name="me"),
    path("me/profile/", graduate.ProfileEdit.as_view(), name="profile_edit"),
    path("positions/", graduate.PositionBrowse.as_view(), name="position_browse"),
    path("positions/<int:pk>/apply/", graduate.Apply.as_view(), name="apply"),
    path("me/applications/<int:pk>/", graduate.MyApplication.as_view(), name="my_application"),
    path("me/applications/<int:pk>/pick/", graduate.PickSlot.as_view(), name="pick_slot"),
    path("me/applications/<int:pk>/withdraw/", graduate.Withdraw.as_view(), name="withdraw"),
    # the employer's
    path("employer/", employer.EmployerHome.as_view(), name="employer_home"),
    path("employer/fairs/<int:pk>/register/", employer.Register.as_view(), name="register"),
    path("employer/booths/<int:pk>/", employer.BoothEdit.as_view(), name="booth_edit"),
    path(
        "employer/booths/<int:pk>/positions/new/",
        employer.PositionCreate.as_view(),
        name="position_create",
    ),
    path("employer/positions/", employer.PositionList.as_view(), name="position_list"),
    path("employer/positions/<int:pk>/", employer.PositionEdit.as_view(), name="position_edit"),
    path(
        "employer/positions/<int:pk>/slots/new/", employer.SlotCreate.as_view(), name="slot_create"
    ),
    path("employer/applications/", employer.ApplicationList.as_view(), name="application_list"),
    path(
        "employer/applications/<int:pk>/",
        employer.ApplicationDetail.as_view(),
        name="application_detail",
    ),
    path(
        "employer/applications/<int:pk>/move/",
        employer.ApplicationMove.as_view(),
        name="application_move",
    ),
    path(
        "employer/applications/<int:pk>/invite/",
        employer.ApplicationInvite.as_view(),
        name="application_invite",
    ),
    path("employer/applications/<int:pk>/cv/", employer.CvDownload.as_view(), name="cv_download"),
    # the association's
    path("fairs/", association.FairList.as_view(), name="fair_list"),
    path("fairs/new/", association.FairCreate.as_view(), name="fair_create"),
    path("fairs/<int:pk>/edit/", association.FairEdit.as_view(), name="fair_edit"),
    path("fairs/<int:pk>/figures/", association.Figures.as_view(), name="figures"),
    path("employers/", association.EmployerList.as_view(), name="employer_list"),
    path(
        "employers/<int:pk>/decide/", association.EmployerDecide.as_view(), name="employer_decide"
    ),
]
