"""The event gateway keeps no tables of its own: accepted events go to `skill_messages`, and what
they report to `discovered_endpoints` (directives/models.py)."""
