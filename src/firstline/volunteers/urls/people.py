"""Sign-up (public), volunteers, vetting, insurance, teams, hours."""

from django.urls import path

from firstline.volunteers.views import people as views

urlpatterns = [
    path("join/", views.join, name="join"),
    path("join/<int:association_id>/", views.join, name="join_association"),
    path("join/<int:association_id>/done/", views.join_done, name="join_done"),
    path("", views.VolunteerList.as_view(), name="volunteer_list"),
    path("new/", views.VolunteerCreate.as_view(), name="volunteer_create"),
    path("<int:pk>/", views.VolunteerDetail.as_view(), name="volunteer_detail"),
    path("<int:pk>/reveal/", views.volunteer_reveal, name="volunteer_reveal"),
    path("<int:pk>/vet/", views.VolunteerVet.as_view(), name="volunteer_vet"),
    path("<int:pk>/insurance/", views.VolunteerInsurance.as_view(), name="volunteer_insurance"),
    path("teams/", views.TeamList.as_view(), name="team_list"),
    path("teams/new/", views.TeamCreate.as_view(), name="team_create"),
    path("teams/<int:pk>/", views.TeamDetail.as_view(), name="team_detail"),
    path("teams/<int:pk>/members/", views.TeamMemberAdd.as_view(), name="team_member_add"),
    path("hours/", views.HoursPage.as_view(), name="hours"),
]
