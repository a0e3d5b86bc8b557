"""Widgets and helpers the screens share."""
