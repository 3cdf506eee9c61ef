"""The Anima catalogue generator."""
