"""One module per API area; each binds its flows to a sync and an async resource class."""
