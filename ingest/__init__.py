"""Reading DM monthly reports (PDF and HTML) into one structured model."""
