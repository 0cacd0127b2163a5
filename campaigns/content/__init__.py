"""A campaign's content: the restricted template engine, the documented context and the
recommended products."""
