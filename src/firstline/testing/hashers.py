"""Argon2 with tiny cost parameters for tests: the same algorithm and stored format
as production (argon2$argon2id$…), without 100 MB of memory per hash."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64
    parallelism = 1
