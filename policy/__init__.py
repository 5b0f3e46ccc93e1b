"""The domain layer shared by every package."""
