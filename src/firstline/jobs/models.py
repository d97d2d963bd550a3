"""The online job fair for graduates (issue #22): fairs, employers' booths, positions,
graduates, applications, interviews, offers."""
