"""What the schema's fields do, one module per area, below the schema types
(`gateway.schema`) and above the connectors: access scopes, cursors, loaders.

A function that only asks a loader returns the loader's future (`Awaitable`) rather than
being a coroutine: its callers await it just the same, on the same turn of the loop, and a
page of objects makes one coroutine fewer per object and field.
"""
