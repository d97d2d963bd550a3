"""{% survey_reminders %}: the association's reminders to the signed-in company admin
(company surveys of open state not yet submitted), shown above its list of surveys."""

from django import template

from firstline.core.roles import SURVEYS_ANSWER
from firstline.surveys.services import distribution

register = template.Library()


@register.inclusion_tag("surveys/_reminders.html", takes_context=True)
def survey_reminders(context):
    request = context.get("request")
    scope = getattr(request, "scope", None)
    if scope is None:
        return {"reminders": []}
    answer = scope.for_perm(SURVEYS_ANSWER)
    return {"reminders": distribution.reminders_for(answer) if answer.grants else []}
