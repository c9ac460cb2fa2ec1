"""Server-rendered pages for reps, managers and leaders (same crud functions as the JSON routes)."""
