"""The feedback app's pages: the public answer page, and the staff pages of surveys."""
