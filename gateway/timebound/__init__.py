"""Timebound: the service clock of each payment request and service levels over many of
them, counted in working days (`connectors.working_days`)."""
