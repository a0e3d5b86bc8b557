"""The TUI's screens: unlock, Today, Patients, Patient, help."""
