"""Monitoring: health rules over run stats, maintainer notices, Sentry, and `newswatch status`."""
