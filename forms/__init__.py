"""WTForms classes. They receive context through arguments and hand the door plain data."""
