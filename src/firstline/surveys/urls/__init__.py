"""Survey pages under /surveys/: the association's (urls/manage), the respondents'
(urls/answer: the company admin's page and the owners' public link)."""

from firstline.surveys.urls import answer, manage

app_name = "surveys"

urlpatterns = [*manage.urlpatterns, *answer.urlpatterns]
