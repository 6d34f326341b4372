"""Timebound: the working-day calendar, the service clock of each payment request and
service levels over many of them."""
