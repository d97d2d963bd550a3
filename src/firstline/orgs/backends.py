"""Sign-in with lockout after repeated failures (FIRSTLINE_LOCKOUT_ATTEMPTS within a
lock of FIRSTLINE_LOCKOUT_MINUTES). Counters are updated with F() so concurrent
attempts lose none."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import F
from django.utils import timezone

from firstline.orgs.models import User


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        now = timezone.now()
        if user.locked_until and user.locked_until > now:
            if request is not None:
                request.firstline_locked_until = user.locked_until
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            # With TOTP on, the count is cleared only once the code is right too
            # (orgs.services), or code guesses could be spread over fresh sign-ins.
            if user.locked_until or (user.failed_logins and not user.totp_confirmed):
                User._default_manager.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            return user
        User._default_manager.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        if user.failed_logins >= settings.FIRSTLINE_LOCKOUT_ATTEMPTS:
            until = now + timedelta(minutes=settings.FIRSTLINE_LOCKOUT_MINUTES)
            User._default_manager.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
            if request is not None:
                request.firstline_locked_until = until
        return None
