from tests.skill.live import _mylights_server, amazon, cloud, mylights

__all__ = ["_mylights_server", "amazon", "cloud", "mylights"]
