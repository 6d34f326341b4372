"""Change events for subscriptions: one change-capture loop per source per process,
shared by every subscriber (`feed.Feed`), reading the sources themselves so that changes
made in the legacy systems' own user interfaces are seen too."""
