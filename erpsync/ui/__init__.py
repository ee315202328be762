"""The status page: an overview of every shop, one page per shop, and a few actions behind a token."""
