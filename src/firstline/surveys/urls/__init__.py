"""Survey pages under /surveys/: the association's (urls/manage), the respondents'
(urls/answer: the company admin's page and the owners' public link), and the
results' background exports and the board's read-only page (urls/results)."""

from firstline.surveys.urls import answer, distribution, manage, results

app_name = "surveys"

urlpatterns = [
    *manage.urlpatterns,
    *answer.urlpatterns,
    *distribution.urlpatterns,
    *results.urlpatterns,
]
