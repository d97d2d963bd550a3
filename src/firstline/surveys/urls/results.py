"""The results' background exports (the association's) and the board's read-only
results page with the research group's links to it (the page itself: no sign-in)."""

from django.urls import path

from firstline.surveys.views import board, exports, files

urlpatterns = [
    path("<int:pk>/exports/", exports.ExportStart.as_view(), name="export_start"),
    path(
        "<int:pk>/exports/<uuid:progress_id>/",
        exports.ExportProgress.as_view(),
        name="export_progress",
    ),
    path(
        "<int:pk>/exports/<uuid:progress_id>/file/",
        exports.ExportFile.as_view(),
        name="export_file",
    ),
    path("<int:pk>/board-links/", board.BoardLinkCreate.as_view(), name="board_link_create"),
    path(
        "<int:pk>/board-links/<str:link>/revoke/",
        board.BoardLinkRevoke.as_view(),
        name="board_link_revoke",
    ),
    path("board/<str:token>/", board.board_page, name="board"),
    # A file answered to a file/image question: its address is its storage path.
    path(
        "<int:pk>/files/<str:token>/<str:name>",
        files.ResponseFile.as_view(),
        name="response_file",
    ),
]
