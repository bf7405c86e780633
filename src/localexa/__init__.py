"""localexa: the Alexa smart home cloud APIs, running on your own machine."""

__version__ = "0.2.0"
