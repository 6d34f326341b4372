"""The look-alike world both systems' demo generators draw from: one organisation plan,
names, wording, the holiday calendar and the allowance rule, shared so that e-kin and
sppspm describe the same city. Used for demos, tests and benchmarks only."""
