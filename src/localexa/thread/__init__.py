"""Thread network credentials outside the server: field checks, TLV datasets, the PSKc.

Imported by the server (field validation), the client and the CLI, so it never imports
`localexa.server`.
"""

from localexa.thread.dataset import ActiveTimestamp, ThreadDataset
from localexa.thread.fields import InvalidField, check_thread_network
from localexa.thread.pskc import compute_pskc
from localexa.thread.tlv import Tlv, TlvError, TlvType

__all__ = [
    "ActiveTimestamp",
    "InvalidField",
    "ThreadDataset",
    "Tlv",
    "TlvError",
    "TlvType",
    "check_thread_network",
    "compute_pskc",
]
