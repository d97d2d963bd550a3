"""Writes of the training app: enrolment (one, many from a workbook, oneself),
learning (lessons, quizzes, the certificate), live sessions, video uploads and serving."""
