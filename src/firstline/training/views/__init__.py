"""Training pages: the learner's (learner.py), the company's and the association's
(manage.py), and the public verification of a certificate (public.py)."""
