"""Attach the signed-in user's scope to every request."""

from django.utils.functional import SimpleLazyObject

from firstline.core.scope import Scope
from firstline.core.selectors import scope_for_user


class ScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = SimpleLazyObject(
            lambda: scope_for_user(request.user) if request.user.is_authenticated else Scope.empty()
        )
        return self.get_response(request)
