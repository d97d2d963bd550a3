"""Template helpers of the UI shell.

Django templates cannot call a method with an argument, so the permission check
the navigation needs (`scope.has_perm(perm)`) is offered here as a filter.
"""

from django import template

from firstline.core.roles import Role

register = template.Library()


@register.filter
def can(scope, perm: str) -> bool:
    """`{% if scope|can:"estates.view_site" %}`: does any of the user's roles grant perm?"""
    return scope is not None and scope.has_perm(perm)


@register.filter
def role_labels(roles) -> list[str]:
    """The labels of a set of role codes, in the order roles are declared."""
    return [str(label) for value, label in Role.choices if value in (roles or ())]


@register.filter
def elided_pages(page_obj, on_each_side: int = 2):
    """Page numbers around the current one, with Paginator.ELLIPSIS for the gaps;
    never a loop over every page of a large list."""
    return page_obj.paginator.get_elided_page_range(
        page_obj.number, on_each_side=on_each_side, on_ends=1
    )


@register.filter
def width_class(percent) -> str:
    """`class="progress-bar {{ p|width_class }}"` → fl-w-38: a bar's width as a class
    (app.css has fl-w-0 … fl-w-100), since the CSP refuses inline style attributes."""
    try:
        value = round(float(percent))
    except (TypeError, ValueError):
        return "fl-w-0"
    return f"fl-w-{min(max(value, 0), 100)}"
