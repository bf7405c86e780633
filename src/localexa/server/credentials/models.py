"""No tables of its own: Skill Credentials are the skill's messaging LWA client
(`lwa.models.LwaClient`, secret sealed), created with the skill (skills.service)."""
