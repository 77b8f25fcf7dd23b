"""The scheduler daemon (`newswatch schedule`): crawl ticks, the outbox sender, heartbeat, reloads."""
