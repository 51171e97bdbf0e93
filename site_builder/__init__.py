"""notes-publisher: Markdown notes -> static site -> versioned S3 bucket."""

__version__ = "0.1.0"
