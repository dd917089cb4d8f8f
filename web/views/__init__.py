"""One module per page: each builds the page's view model (plain JSON-ready data)."""
