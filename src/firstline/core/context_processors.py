"""What every page's shell needs: the user's scope, for the navigation by role."""


def shell(request):
    scope = getattr(request, "scope", None)
    return {
        "scope": scope,
        "roles": scope.roles
        if scope is not None and request.user.is_authenticated
        else frozenset(),
    }
