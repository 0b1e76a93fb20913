"""The domain core: workflow definitions, the one door, rules, calendar, audit chain."""
