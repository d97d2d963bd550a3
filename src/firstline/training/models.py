"""Training (issue #22): courses, lessons, quizzes, enrolment of staff, live sessions,
progress, certificates."""
