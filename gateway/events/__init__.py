"""Change events for subscriptions, read from the sources themselves so that changes
made in the legacy systems' own user interfaces are seen too: one change-capture loop per
source, shared by every subscriber (`feed`), in each process without Redis (`local`), or
for the whole deployment with it (`capture` writes a Redis stream, `stream` reads it).
Every event has an id (`ids`), so a subscriber can resume where it left off."""
