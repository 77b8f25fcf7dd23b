"""The read-only web dashboard (`newswatch web`): matches by story, outlet health, run history, feedback."""
