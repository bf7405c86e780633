"""Samples built on localexa's kits. They never import localexa's server."""
