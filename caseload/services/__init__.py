"""The domain: functions that take a Session and return plain data; no UI imports."""
