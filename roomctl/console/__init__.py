"""`roomctl console`: every room on a web page, with accounts, roles and a live view."""
