"""A phone app's backend, as far as Alexa is concerned: link and unlink customers' accounts."""

from phone_backend.alexa import AlexaLinker, LinkResult

__all__ = ["AlexaLinker", "LinkResult"]
